"""preprocess_images: the shape and dtype, the scaling, the input left alone."""

import numpy as np

from .verdict import require
from ..messages import say


def _numeric_dtype(name):
    try:
        return np.issubdtype(np.dtype(name), np.floating)
    except TypeError:
        return False


def shape(handovers, inputs, lang):
    got = handovers.get("test_preprocess_images_shape")
    dtypes = got.get("dtypes", [])
    for k, given in enumerate(inputs.preprocess_shape_inputs()):
        result = got.array(f"result{k}")
        dtype = dtypes[k] if k < len(dtypes) else str(result.dtype)
        if result.size or given.size == 0:
            require(result.shape == given.shape, "pre_shape", lang, given=given.shape, got=result.shape)
        require(_numeric_dtype(dtype), "pre_float", lang, dtype=dtype)


def scaled(handovers, inputs, lang):
    given = inputs.preprocess_range_input()
    result = handovers.get("test_preprocess_images_range").array("result")
    require(result.shape == given.shape, "pre_shape", lang, given=given.shape, got=result.shape)
    result = result.astype(np.float64)
    low, high = float(result.min()), float(result.max())
    require(low >= 0 and high <= 1, "pre_range", lang, high=round(high, 3), low=round(low, 3))
    one, zero = float(result[given == 255][0]), float(result[given == 0][0])
    require(abs(one - 1) < 1e-6 and abs(zero) < 1e-6, "pre_ends", lang, one=one, zero=zero)
    require(np.allclose(result, given / 255.0, atol=1e-6), "pre_ends", lang, one=one, zero=zero)


def input_kept(handovers, inputs, lang):
    got = handovers.get("test_preprocess_images_input")
    for k, before in enumerate(inputs.preprocess_input_inputs()):
        after = got.array(f"after{k}")
        require(after.shape == before.shape and np.array_equal(after, before), "pre_mutates", lang)
