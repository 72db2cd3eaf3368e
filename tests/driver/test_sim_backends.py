"""The off-board backends' DMA side: decoding the driver's bytes into stream elements and
encoding stream elements into the bytes the DMA would write."""

from __future__ import annotations

import numpy as np

from qnnflow.driver.formats import StreamFormat, pack_frames, to_stream_order, unpack_frames
from qnnflow.driver.sim_backends import bytes_to_elements, elements_to_bytes, renderers_available


def test_dma_side_agrees_with_the_driver_side():
    fmt = StreamFormat("t", (1, 3, 2, 12), "INT5", 6, 5, True, 12, channel_groups=2)
    batch = np.random.default_rng(0).integers(-16, 16, (2, 3, 2, 12))
    data = pack_frames(fmt, batch)
    stream = bytes_to_elements(fmt, data, 2, as_values=True)
    assert np.array_equal(stream, to_stream_order(fmt, batch))
    codes = bytes_to_elements(fmt, data, 2)  # what the C++ push_words masks to 5 bits
    assert codes.min() >= 0 and np.array_equal(codes & 31, stream & 31)
    assert np.array_equal(unpack_frames(fmt, elements_to_bytes(fmt, stream, 2), 2), batch)


def test_renderers_available_reflects_the_backend_modules():
    import importlib.util

    from qnnflow.backends.hls.ops import RENDERER_MODULES

    present = [importlib.util.find_spec(m) is not None for m in RENDERER_MODULES.values()]
    assert renderers_available() == all(present)


def test_bipolar_streams_carry_one_bit_per_element():
    """-1/+1 on the host, +1 -> 1 and -1 -> 0 on the stream, both directions; 0 refused."""
    import pytest

    from qnnflow.errors import QnnflowError

    fmt = StreamFormat("t", (1, 2, 2, 8), "BIPOLAR", 8, 1, False, 4)
    batch = np.random.default_rng(1).choice([-1, 1], (3, 2, 2, 8))
    data = pack_frames(fmt, batch)
    assert data.shape == (3, 4)  # one byte per 8-element word
    codes = bytes_to_elements(fmt, data, 3)
    assert np.array_equal(codes, (to_stream_order(fmt, batch) > 0).astype(int))
    values = bytes_to_elements(fmt, data, 3, as_values=True)
    assert np.array_equal(values, to_stream_order(fmt, batch))
    assert np.array_equal(unpack_frames(fmt, elements_to_bytes(fmt, codes * 2 - 1, 3), 3), batch)
    with pytest.raises(QnnflowError, match="BIPOLAR\\) takes -1 or \\+1, got 0"):
        pack_frames(fmt, np.zeros((1, 2, 2, 8)))
