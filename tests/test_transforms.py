"""The image transformers against independent computations (np.roll, np.rot90, a
hand-written bilinear rotation, index arithmetic)."""

import pickle

import numpy as np
import pytest
from _reference import rolled
from sklearn.pipeline import make_pipeline

from mnist_estimators import (
    ImageRotator,
    ImageShifter,
    ImageTransposer,
    PixelPermuter,
    PixelScaler,
    RowShuffler,
    load_digits_images,
)

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(1, 256, size=(5, 28, 28)).astype(np.uint8)  # no zero pixel
FLAT = IMAGES.reshape(5, -1)


@pytest.mark.parametrize("dx, dy", [(2, 0), (-2, 0), (0, 2), (0, -2), (3, -1), (-4, 4), (0, 0)])
def test_shift_is_np_roll_with_the_wrapped_pixels_zeroed(dx, dy):
    out = ImageShifter(dx=dx, dy=dy).fit_transform(FLAT)
    assert out.dtype == np.uint8 and out.shape == FLAT.shape
    np.testing.assert_array_equal(out.reshape(IMAGES.shape), rolled(IMAGES, dx, dy))
    # image-shaped in, image-shaped out
    np.testing.assert_array_equal(
        ImageShifter(dx=dx, dy=dy).fit_transform(IMAGES), rolled(IMAGES, dx, dy)
    )


def test_a_shift_past_the_edge_leaves_nothing():
    assert not ImageShifter(dx=28).fit_transform(FLAT).any()
    assert not ImageShifter(dy=-30).fit_transform(FLAT).any()


def _bilinear_rotation(image, degrees):
    """An independent bilinear rotation about the centre, pixel by pixel (row 0 on top,
    positive = counter-clockwise as displayed)."""
    h, w = image.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    t = np.deg2rad(degrees)
    out = np.zeros((h, w))
    for r in range(h):
        for c in range(w):
            # Output pixel (r, c): where it comes from in the input (the inverse rotation).
            # In display coordinates (x right, y up), a counter-clockwise rotation by t
            # maps the source to the target; the source is the target rotated by -t.
            x, y = c - cx, cy - r
            xs = np.cos(t) * x + np.sin(t) * y
            ys = -np.sin(t) * x + np.cos(t) * y
            sr, sc = cy - ys, xs + cx
            r0, c0 = int(np.floor(sr)), int(np.floor(sc))
            fr, fc = sr - r0, sc - c0
            val = 0.0
            for rr, cc, wgt in (
                (r0, c0, (1 - fr) * (1 - fc)),
                (r0, c0 + 1, (1 - fr) * fc),
                (r0 + 1, c0, fr * (1 - fc)),
                (r0 + 1, c0 + 1, fr * fc),
            ):
                if 0 <= rr < h and 0 <= cc < w:
                    val += wgt * image[rr, cc]
            out[r, c] = val
    return out


@pytest.mark.parametrize("degrees", [30.0, -12.5])
def test_rotation_matches_an_independent_bilinear_rotation(degrees):
    image = RNG.random((9, 9))
    got = ImageRotator(degrees=degrees).fit_transform(image.reshape(1, -1)).reshape(9, 9)
    want = _bilinear_rotation(image, degrees)
    # Inside the image the two agree to rounding; at the border scipy's constant mode
    # treats the half pixel beyond the edge differently, so compare the interior.
    np.testing.assert_allclose(got[2:-2, 2:-2], want[2:-2, 2:-2], atol=1e-9)


def test_rotation_by_quarter_turns_is_rot90_and_integer_images_stay_integer():
    for k, degrees in ((1, 90), (2, 180), (3, 270), (3, -90), (0, 360)):
        np.testing.assert_array_equal(
            ImageRotator(degrees=degrees).fit_transform(IMAGES), np.rot90(IMAGES, k, axes=(1, 2))
        )
    out = ImageRotator(degrees=10).fit_transform(FLAT)
    assert out.dtype == np.uint8
    # Bilinear interpolation keeps values within the input's range, and the zero fill
    # only enters at the corners: the centre pixel's neighbourhood keeps its mass.
    assert out.max() <= FLAT.max()
    centre = (slice(None), slice(10, 18), slice(10, 18))
    assert out.reshape(IMAGES.shape)[centre].min() > 0


def test_a_permutation_with_the_same_seed_is_identical_and_applies_to_every_image():
    a = PixelPermuter(random_state=3).fit(FLAT)
    b = PixelPermuter(random_state=3).fit(FLAT[:1])
    np.testing.assert_array_equal(a.permutation_, b.permutation_)
    np.testing.assert_array_equal(a.transform(FLAT), b.transform(FLAT))
    assert np.array_equal(np.sort(a.permutation_), np.arange(784))
    assert not np.array_equal(a.permutation_, PixelPermuter(random_state=4).fit(FLAT).permutation_)
    out = a.transform(FLAT)
    for i in range(len(FLAT)):  # output pixel j of every image is its input pixel perm[j]
        np.testing.assert_array_equal(out[i], [FLAT[i][j] for j in a.permutation_])
    inverse = np.argsort(a.permutation_)
    np.testing.assert_array_equal(out[:, inverse], FLAT)
    # fitted once, pickled, the permutation travels with it
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(a)).transform(FLAT), out)


def test_the_permutation_is_drawn_in_fit_and_kept_for_the_test_data_in_a_pipeline():
    X, _ = load_digits_images(return_X_y=True)
    pipe = make_pipeline(PixelPermuter(random_state=0), PixelScaler()).fit(X[:100])
    perm = pipe[0].permutation_
    np.testing.assert_allclose(pipe.transform(X[100:110]), X[100:110][:, perm] / 255, rtol=1e-6)


def test_row_shuffle_reorders_whole_rows_and_transpose_swaps_rows_and_columns():
    r = RowShuffler(random_state=0).fit(FLAT)
    out = r.transform(FLAT).reshape(IMAGES.shape)
    assert sorted(r.row_order_) == list(range(28))
    for i, src in enumerate(r.row_order_):
        np.testing.assert_array_equal(out[:, i], IMAGES[:, src])
    t = ImageTransposer().fit_transform(FLAT).reshape(IMAGES.shape)
    np.testing.assert_array_equal(t, IMAGES.transpose(0, 2, 1))
    np.testing.assert_array_equal(ImageTransposer().fit_transform(t), IMAGES)


def test_clear_errors():
    with pytest.raises(ValueError, match="needs square images"):
        ImageTransposer(image_shape=(4, 3)).fit(np.zeros((2, 12)))
    fitted = ImageShifter(dx=1).fit(FLAT)
    with pytest.raises(ValueError, match="784 features"):
        fitted.transform(np.zeros((2, 64)))
    with pytest.raises(ValueError, match="dx"):
        ImageShifter(dx=1.5).fit(FLAT)
