"""Keys each section may carry: inference keys we read, training keys we ignore silently,
and keys whose non-default values change inference in ways we do not support."""

from __future__ import annotations

# Training-only keys: accepted and ignored (they do not change the inference graph).
IGNORED = {
    "net": {
        "batch", "subdivisions", "momentum", "decay", "angle", "saturation", "exposure", "hue",
        "learning_rate", "burn_in", "max_batches", "policy", "steps", "scales", "step", "gamma",
        "power", "mosaic", "flip", "letter_box", "max_crop", "min_crop", "aspect", "jitter",
        "adam", "b1", "b2", "eps", "inputs", "max_chart_loss", "cutmix", "mixup", "blur",
        "gaussian_noise", "label_smooth_eps", "time_steps", "resize_step", "random",
        "optimized_memory", "workspace_size_limit_mb", "loss_scale", "dynamic_minibatch",
        "track", "augment_speed", "sequential_subdivisions", "try_fix_nan", "seed",
    },
    "convolutional": {"learning_rate", "stopbackward", "train_only_bn", "flipped", "dot"},
    "maxpool": {"stopbackward"},
    "route": {"stopbackward"},
    "upsample": {"stopbackward"},
    "shortcut": {"stopbackward"},
    "region": {
        "bias_match", "jitter", "rescore", "object_scale", "noobject_scale", "class_scale",
        "coord_scale", "absolute", "thresh", "random", "log", "sqrt", "focus", "max",
    },
    "yolo": {
        "jitter", "ignore_thresh", "truth_thresh", "random", "iou_normalizer", "cls_normalizer",
        "iou_loss", "iou_thresh", "beta_nms", "nms_kind", "max", "counters_per_class",
        "label_smooth_eps", "resize", "objectness_smooth", "obj_normalizer", "max_delta",
        "focal_loss", "max_delta", "uc_normalizer", "delta_normalizer", "scale_x_y",
    },
}

# Keys that would change the inference result: (default value as text) -> refuse anything else.
UNSUPPORTED_UNLESS_DEFAULT = {
    "convolutional": {
        "dilation": "1", "antialiasing": "0", "deform": "0", "sway": "0", "rotate": "0",
        "stretch": "0", "stretch_sway": "0", "share_index": None, "assisted_excitation": "0",
        "dontload": "0", "dontloadscales": "0", "coordconv": "0",
    },
    "maxpool": {"maxpool_depth": "0", "antialiasing": "0", "out_channels": None},
    "shortcut": {"weights_type": "none", "weights_normalization": "none"},
    "upsample": {},
    "route": {},
    "region": {"tree": None, "map": None},
    "yolo": {"new_coords": "0"},
}
