"""The ids of the bundled catalogue that the tests pin: the lesson's rules, and those added beyond
it (issues 8, 14 and 16) by the subdeck they are filed under. One list for every test file."""

LESSON_IDS = (
    "sigmoid", "relu", "tanh", "leaky-relu",
    "power-rule", "power-square", "power-cube", "power-identity", "power-constant",
    "power-reciprocal", "power-sqrt",
    "squared-error", "constant-multiple-rule", "constant-multiple-example", "sum-rule",
    "batch-loss", "exp", "ln", "cross-entropy",
    "product-rule", "product-example", "quotient-rule", "linear-model-squared-error",
)  # fmt: skip

# The rules added beyond the lesson (issues 8, 14 and 16), by the subdeck they are filed under.
ADDED_IDS = {
    "Derivatives for ML::4a. Vectors and matrices": (  # issue 16
        "linear-form-gradient", "bilinear-form-by-matrix", "bilinear-form-transposed",
        "jacobian-of-affine-map", "inner-product-with-itself", "quadratic-form-gradient",
        "quadratic-bowl-in-the-plane", "log-sum-exp-in-the-plane",
        "quadratic-form-by-matrix", "diagonal-weighted-quadratic", "mahalanobis-by-mean",
        "squared-norm-gradient", "norm-gradient", "least-squares-by-x",
        "least-squares-by-weights", "ridge-regression-gradient", "linear-layer-by-weights",
        "linear-layer-by-input", "linear-layer-by-bias", "linear-layer-squared-loss-by-bias",
        "trace-of-product", "trace-of-transposed-product", "trace-of-gram", "trace-sandwich",
        "trace-quadratic", "determinant-gradient", "log-determinant-gradient",
        "inverse-bilinear-form", "gaussian-precision-gradient", "elementwise-square-jacobian",
        "exp-jacobian", "sigmoid-jacobian", "tanh-layer-jacobian", "log-sum-exp-gradient",
        "softmax-jacobian", "softmax-cross-entropy-gradient",
        "logistic-regression-batch-gradient", "logistic-regression-softplus-form",
        "weight-decay-on-matrix", "weight-decay-trace-form", "attention-scores-by-queries",
        "attention-scores-by-keys", "attention-score-pair-by-queries",
        "two-layer-network-by-output-weights", "two-layer-network-by-hidden-weights",
    ),
    "Derivatives for ML::5. Activation functions": (
        "softplus", "elu", "elu-from-its-output", "selu", "selu-published-constants",
        "gelu", "gelu-tanh-approximation", "gelu-sigmoid-approximation", "silu",
        "swish-beta", "swish-beta-trainable", "mish", "softsign", "hard-tanh", "relu6",
        "prelu-slope", "prelu-input", "log-sigmoid",
    ),
    "Derivatives for ML::6. Loss functions": (
        "mse-one-prediction", "mse-term", "half-squared-error", "mse-linear-weight", "mae",
        "mae-mean", "huber", "log-cosh", "pinball", "bce-probability", "bce-logit",
        "bce-logit-stable", "bce-logit-softplus", "softmax-ce-two-class-first",
        "softmax-ce-two-class-second", "hinge", "squared-hinge", "focal-loss",
        "gaussian-nll-mean", "gaussian-nll-sd", "gaussian-nll-log-variance", "poisson-nll",
        "kl-term", "vae-kl-mean", "vae-kl-sd", "vae-kl-log-variance",
    ),
    "Derivatives for ML::7. Regularisation": (
        "l2-penalty", "l2-penalty-without-half", "l2-regularised-loss",
        "l2-penalty-one-of-three-weights", "l1-penalty", "elastic-net", "elastic-net-mixing",
        "group-lasso",
    ),
    "Derivatives for ML::8. Softmax and attention": (
        "softmax-own-logit", "softmax-other-logit", "softmax-sums-to-one",
        "log-softmax-own-logit", "log-softmax-other-logit",
        "softmax-cross-entropy-three-class", "log-sum-exp", "log-sum-exp-shifted",
        "softmax-temperature", "attention-score-query", "attention-score-key",
    ),
    "Derivatives for ML::4. Chain rule": (
        "chain-rule", "chain-rule-three-functions", "chain-rule-power", "chain-rule-exp",
        "chain-rule-log", "backprop-through-sigmoid", "backprop-through-tanh",
        "sigmoid-unit-weight", "sigmoid-unit-bias", "sigmoid-unit-input", "linear-model-bias",
        "logistic-regression-weight", "logistic-regression-bias",
        "two-layer-network-first-weight", "two-layer-network-second-weight",
        "two-layer-relu-network-first-weight",
    ),
    # added for issue 14: the thin exponential and product/quotient subdecks filled out
    "Derivatives for ML::2. Exponentials and logarithms": (
        "exp-base-a", "log-base-b", "log-of-a-product", "log-of-a-quotient", "log-of-a-power",
    ),
    "Derivatives for ML::3. Product and quotient rules": (
        "product-example-entropy-term", "reciprocal-rule", "sigmoid-by-the-reciprocal-rule",
        "quotient-example-two-class-softmax",
    ),
    "Derivatives for ML::9. Optimisation": (
        "exponential-decay-learning-rate", "exponential-decay-learning-rate-base",
        "inverse-time-decay", "cosine-annealing", "gradient-descent-update-learning-rate",
        "loss-after-one-step", "quadratic-loss-after-one-step", "moving-average-new-gradient",
    ),
}  # fmt: skip
