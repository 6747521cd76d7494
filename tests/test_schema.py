"""The JSON Schema of the catalogue format (``ankigen schema``): the repository's copy is what the
command prints, it follows the loader's keys and patterns, every bundled file satisfies it, and
broken files fail it as they fail the loader."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import Result

from ankigen.commands.schema import SCHEMA_PATH, catalogue_schema, schema_text
from ankigen.errors import CatalogueError
from ankigen.load.catalogue import FILE_KEYS, FILE_REQUIRED, load_catalogue
from ankigen.load.fields import TAG
from ankigen.load.rules import PLOT_KEYS, RULE_ID, RULE_KEYS, RULE_REQUIRED
from ankigen.plumbing.resources import bundled_catalogue

REPO = Path(__file__).resolve().parents[1]
BAD_CASES = Path(__file__).parent / "fixtures" / "bad"
BUNDLED_FILES = sorted(bundled_catalogue().glob("*.yaml"))
MODELINE = "# yaml-language-server: $schema=../schema/ankigen-catalogue.schema.json"

Cli = Callable[..., Result]
MakeCatalogue = Callable[..., Path]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(catalogue_schema())


def errors(validator: jsonschema.Draft202012Validator, data: Any) -> list[str]:
    return [error.message for error in validator.iter_errors(data)]


def one_rule_file(**changes: Any) -> dict[str, Any]:
    """A valid catalogue file as data, with some keys of its rule changed (None removes one)."""
    rule = {"id": "cube", "name": "Cube", "function": "x**3", "derivative": "3*x**2"}
    rule["context"] = "Polynomial features."
    rule.update(changes)
    return {"deck": "Course", "rules": [{k: v for k, v in rule.items() if v is not None}]}


# --- the command and the repository's copy --------------------------------------------------------


def test_ankigen_schema_prints_exactly_the_copy_kept_in_the_repository(cli: Cli) -> None:
    """The committed schema is regenerated whenever the format changes: if this fails, run
    ``ankigen schema > schema/ankigen-catalogue.schema.json`` and review the diff."""
    result = cli("schema")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (REPO / SCHEMA_PATH).read_text(encoding="utf-8")


def test_the_printed_schema_has_sorted_keys_an_indent_of_two_and_a_final_newline() -> None:
    """A stable text, so that the repository's copy diffs well."""
    text = schema_text()
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2) + "\n"
    assert text.isascii()


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    """Editors and validators accept it: it follows the draft it names."""
    schema = catalogue_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


# --- in step with the loader ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "keys", "required"),
    [
        ((), FILE_KEYS, FILE_REQUIRED),
        (("$defs", "rule"), RULE_KEYS, RULE_REQUIRED),
        (("$defs", "plot"), PLOT_KEYS, ()),
    ],
    ids=["file", "rule", "plot"],
)
def test_each_mapping_has_exactly_the_loaders_keys_each_described_and_no_others(
    where: tuple[str, ...], keys: tuple[str, ...], required: tuple[str, ...]
) -> None:
    """The schema is built from the loader's constants: the same keys, the same required keys,
    unknown keys refused, and a description for every key (shown by editors on hover)."""
    node = catalogue_schema()
    for step in where:
        node = node[step]
    assert tuple(node["properties"]) == keys
    assert tuple(node.get("required", ())) == required
    assert node["additionalProperties"] is False
    for key, spec in node["properties"].items():
        assert len(spec.get("description", "")) > 20, key


@pytest.mark.parametrize(
    "rule_id", ["relu", "leaky-relu", "l2-2", "ReLU", "relu_1", "-relu", "relu-", "a--b", "a b"]
)
def test_the_schema_accepts_exactly_the_ids_the_loader_accepts(
    validator: jsonschema.Draft202012Validator, rule_id: str
) -> None:
    """The id pattern is the loader's own, anchored (JSON Schema patterns search, unanchored)."""
    valid = not errors(validator, one_rule_file(id=rule_id))
    assert valid == bool(RULE_ID.fullmatch(rule_id))


@pytest.mark.parametrize("tag", ["loss", "c++", "x-1", "two words", 'say"hi"', "tab\there"])
def test_the_schema_accepts_exactly_the_tags_the_loader_accepts(
    validator: jsonschema.Draft202012Validator, tag: str
) -> None:
    valid = not errors(validator, one_rule_file(tags=[tag]))
    assert valid == bool(TAG.fullmatch(tag))


@pytest.mark.parametrize(
    "deck",
    ["Course", "Course::Losses", "A :: B :: C", "A::", "::A", "A::::B", "A:: ::B", "   "],
)
def test_the_schema_and_the_loader_agree_on_deck_names(
    validator: jsonschema.Draft202012Validator, make_catalogue: MakeCatalogue, deck: str
) -> None:
    """No empty part between '::': both refuse the same names, so an editor flags what
    ankigen would refuse and nothing else."""
    data = one_rule_file()
    data["deck"] = deck
    folder = make_catalogue(course=yaml.safe_dump(data))
    try:
        load_catalogue([folder])
        loads = True
    except CatalogueError:
        loads = False
    assert (not errors(validator, data)) == loads


@pytest.mark.parametrize(
    "changes",
    [
        {"source": 2016},  # YAML reads a number, ankigen the text "2016"
        {"name": 1984},
        {"derivative": 0},
        {"tags": [2024, "loss"]},
        {"assume": "x > 0"},  # one condition without a list
        {"assume": ["x >= 0", "w != 0"]},
        {"variable": "w", "function": "w**3", "derivative": "3*w**2"},
        {"plot": False},
        {
            "function": "x**n",
            "derivative": "n*x**(n - 1)",
            "assume": ["x > 0"],
            "plot": {"x": [0, 10], "y": [-1.5, 2], "values": {"n": 3}},
        },
    ],
)
def test_values_the_loader_accepts_are_valid_under_the_schema(
    validator: jsonschema.Draft202012Validator,
    make_catalogue: MakeCatalogue,
    changes: dict[str, Any],
) -> None:
    """No false alarms in an editor: what ankigen loads, the schema accepts."""
    data = one_rule_file(**changes)
    load_catalogue([make_catalogue(course=yaml.safe_dump(data))])  # raises if the loader refuses
    assert errors(validator, data) == []


QUADRATIC_FORM = {
    "shapes": {"x": ["n"], "A": ["n", "n"]},
    "function": "x.T @ A @ x",
    "derivative": "(A + A.T) @ x",
}


@pytest.mark.parametrize(
    "changes",
    [
        QUADRATIC_FORM,
        {**QUADRATIC_FORM, "assume": ["det(A) != 0", "x > 0"]},
        {**QUADRATIC_FORM, "assume": "0 < sum(x) <= 1"},
        {"shapes": {"x": [3]}, "function": "sum(x**3)", "derivative": "3*x**2"},
    ],
)
def test_rules_with_shapes_the_loader_accepts_are_valid_under_the_schema(
    validator: jsonschema.Draft202012Validator,
    make_catalogue: MakeCatalogue,
    changes: dict[str, Any],
) -> None:
    """The issue's quadratic form, with conditions that compare expressions (only a rule with
    shapes may) and a whole-number dimension."""
    data = one_rule_file(**changes)
    load_catalogue([make_catalogue(course=yaml.safe_dump(data))])
    assert errors(validator, data) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"assume": "det(A) > 0"}, "is not valid under any of the given schemas"),
        ({"shapes": {"x": []}}, "should be non-empty"),
        ({"shapes": {"A": ["m", "n", "k"]}}, "is too long"),
        ({"shapes": {"x": [0]}}, "is not valid under any of the given schemas"),
        ({"shapes": {"x": [1001]}}, "is not valid under any of the given schemas"),
        ({"shapes": {"x": [2.5]}}, "is not valid under any of the given schemas"),
        ({"shapes": {"x": ["2n"]}}, "is not valid under any of the given schemas"),
        ({"shapes": {"x": "n"}}, "'n' is not of type 'array'"),
        ({"shapes": {}}, "should be non-empty"),
        ({"shapes": ["x"]}, "is not of type 'object'"),
        ({"shapes": {"x y": ["n"]}}, "'x y' does not match"),
    ],
)
def test_what_the_loader_refuses_in_shapes_and_assume_the_schema_refuses(
    validator: jsonschema.Draft202012Validator,
    make_catalogue: MakeCatalogue,
    changes: dict[str, Any],
    message: str,
) -> None:
    """An assume: that compares expressions needs shapes:; a shape has one or two dimensions,
    each a name or a whole number from 1 to 1000. Both the loader and the schema refuse."""
    data = one_rule_file(**changes)
    with pytest.raises(CatalogueError):
        load_catalogue([make_catalogue(course=yaml.safe_dump(data))])
    found = errors(validator, data)
    assert any(message in error for error in found), found


# --- real files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", BUNDLED_FILES, ids=lambda p: p.name)
def test_every_bundled_catalogue_file_is_valid_under_the_schema(
    validator: jsonschema.Draft202012Validator, path: Path
) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert errors(validator, data) == []


@pytest.mark.parametrize("path", BUNDLED_FILES, ids=lambda p: p.name)
def test_every_bundled_file_names_the_schema_for_editors_in_its_first_line(path: Path) -> None:
    """The YAML language server's modeline, a path relative to the file, which must lead to a
    copy of the schema: the repository's, or the one shipped beside an installed catalogue."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == MODELINE
    target = path.parent / first.split("$schema=", 1)[1]
    assert target.is_file(), target
    assert target.read_bytes() == (REPO / SCHEMA_PATH).read_bytes()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown-key-misspelt", "'derivitive' was unexpected"),
        ("unknown-top-level-key", "'decks' was unexpected"),
        ("missing-required-key", "'context' is a required property"),
        ("several-keys-missing", "'name' is a required property"),
        ("bad-id-uppercase", "'ReLU' does not match"),
        ("bad-id-underscore", "'relu_1' does not match"),
        ("tags-not-a-list", "'relu' is not of type 'array'"),
        ("tag-with-a-space", "'two words' does not match"),
        ("bad-assumption", "is not valid under any of the given schemas"),
        ("rules-not-a-list", "is not of type 'array'"),
        ("variable-not-a-name", "'2x' does not match"),
        ("deck-empty-part", "'Derivatives for ML::::Broken' does not match"),
        ("define-bad-signature", "'sigma x' does not match"),
        ("derivative-not-an-expression", "True is not of type 'string', 'number'"),
        ("top-level-list", "is not of type 'object'"),
        ("shapes-not-a-mapping", "is not of type 'object'"),
        ("shapes-three-dimensions", "is too long"),
        ("shapes-no-dimension", "should be non-empty"),
        ("shapes-bad-dimensions", "is not valid under any of the given schemas"),
        ("shape-condition-not-a-comparison", "is not valid under any of the given schemas"),
    ],
)
def test_broken_fixtures_fail_validation_with_the_reason(
    validator: jsonschema.Draft202012Validator, case: str, message: str
) -> None:
    """The corpus of broken catalogues that the loader refuses: the schema refuses their shape
    too, and says why."""
    data = yaml.safe_load((BAD_CASES / case / "bad.yaml").read_text(encoding="utf-8"))
    found = errors(validator, data)
    assert any(message in error for error in found), found
