"""blockcheck.allocation.dense: numpy.unique of small non-negative integers in linear time, the same answers."""

import numpy as np
import pytest

from blockcheck.allocation.dense import distinct_count, distinct_sorted


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("shape", [(0,), (7,), (2, 5), (1000,)])
def test_distinct_sorted_equals_numpy_unique(dtype, shape):
    rng = np.random.default_rng(sum(shape))
    values = rng.integers(0, 40, size=shape).astype(dtype)
    expected, expected_inverse = np.unique(values, return_inverse=True)
    got, inverse = distinct_sorted(values)
    assert got.dtype == values.dtype
    np.testing.assert_array_equal(got, expected)
    assert inverse.shape == values.shape
    np.testing.assert_array_equal(inverse.reshape(-1), expected_inverse.reshape(-1))
    np.testing.assert_array_equal(got[inverse], values)  # the inverse rebuilds the values
    assert distinct_count(values) == expected.size


def test_hand_checked_values_and_explicit_size():
    got, inverse = distinct_sorted(np.array([5, 0, 5, 2]), size=10)
    assert got.tolist() == [0, 2, 5]
    assert inverse.tolist() == [2, 0, 2, 1]
    assert distinct_count(np.array([[3, 3], [1, 3]])) == 2


def test_pair_keys_sort_like_unique_of_rows():
    """The allocation's (rule, block) demands: rule × blocks + block sorts as np.unique(axis=1) sorts the pairs."""
    rng = np.random.default_rng(3)
    rule, block = rng.integers(0, 4, 500), rng.integers(0, 30, 500)
    expected, expected_inverse = np.unique(np.stack([rule, block]), axis=1, return_inverse=True)
    n_blocks = int(block.max()) + 1
    keys, inverse = distinct_sorted(rule * n_blocks + block)
    np.testing.assert_array_equal(np.stack([keys // n_blocks, keys % n_blocks]), expected)
    np.testing.assert_array_equal(inverse, expected_inverse.reshape(-1))
