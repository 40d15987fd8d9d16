"""spherekern.datasets: loaders on small files in the standard formats written here, splits, the sphere map."""
import gzip
import pickle
import struct

import numpy as np
import pytest

from spherekern import datasets


# ---------------------------------------------------------------- writers of the standard formats (by hand)
def _idx_bytes(arr):
    """IDX layout written from the format's definition: 0, 0, 0x08, ndim, big-endian sizes, data."""
    arr = np.asarray(arr, dtype=np.uint8)
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(struct.pack(">I", s) for s in arr.shape)
    return head + arr.tobytes()


def _write(path, data, gz=False):
    if gz:
        with gzip.open(str(path) + ".gz", "wb") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)


def _write_mnist(folder, n_train=7, n_test=5, gz=False, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for part, n in (("train", n_train), ("t10k", n_test)):
        img = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        lab = rng.integers(0, 10, size=n, dtype=np.uint8)
        _write(folder / f"{part}-images-idx3-ubyte", _idx_bytes(img), gz)
        _write(folder / f"{part}-labels-idx1-ubyte", _idx_bytes(lab), gz)
        out[part] = (img, lab)
    return out


def _write_cifar(folder, n_per=3, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(n_per, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=n_per)]
        with open(folder / name, "wb") as fh:
            pickle.dump({b"data": data, b"labels": labels, b"batch_label": name.encode()}, fh)
        out.append((data, labels))
    return out


# ---------------------------------------------------------------- digits
def test_digits_matches_sklearn():
    from sklearn.datasets import load_digits
    ref = load_digits()
    x, y = datasets.load()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == np.float64
    np.testing.assert_array_equal(x[:, 0] * 16, ref.images)
    np.testing.assert_array_equal(y, ref.target)
    assert x.min() == 0 and x.max() == 1
    with pytest.raises(ValueError, match="split"):
        datasets.load("digits", split="train")


def test_unknown_name_lists_valid():
    with pytest.raises(ValueError, match="'digits'.*'mnist'.*'fashion-mnist'.*'cifar10'"):
        datasets.load("imagenet")
    with pytest.raises(ValueError, match="split"):
        datasets.load("digits", split="val")


# ---------------------------------------------------------------- IDX
@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx(tmp_path, gz):
    ref = _write_mnist(tmp_path / "mnist", gz=gz)
    x, y = datasets.load("mnist", tmp_path)                 # found in the sub-folder
    assert x.shape == (12, 1, 28, 28) and x.dtype == np.float64
    np.testing.assert_array_equal(np.round(x[:7, 0] * 255).astype(np.uint8), ref["train"][0])
    np.testing.assert_array_equal(np.round(x[7:, 0] * 255).astype(np.uint8), ref["t10k"][0])
    np.testing.assert_array_equal(y, np.concatenate([ref["train"][1], ref["t10k"][1]]))
    xt, yt = datasets.load("mnist", tmp_path / "mnist", split="test")
    np.testing.assert_array_equal(yt, ref["t10k"][1])
    assert xt.shape == (5, 1, 28, 28)


def test_fashion_torchvision_layout(tmp_path):
    ref = _write_mnist(tmp_path / "FashionMNIST" / "raw", gz=True, seed=3)
    _, y = datasets.load("fashion-mnist", tmp_path, split="train")
    np.testing.assert_array_equal(y, ref["train"][1])


def test_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte.*yann.lecun"):
        datasets.load("mnist", tmp_path)
    with pytest.raises(FileNotFoundError, match="data_dir"):
        datasets.load("mnist")
    with pytest.raises(FileNotFoundError, match="not a folder"):
        datasets.load("cifar10", tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="data_batch_1.*toronto"):
        datasets.load("cifar10", tmp_path)


def test_corrupt_idx(tmp_path):
    _write_mnist(tmp_path)
    f = tmp_path / "train-images-idx3-ubyte"
    good = f.read_bytes()
    f.write_bytes(good[:-10])                                # truncated
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*truncated"):
        datasets.load("mnist", tmp_path)
    f.write_bytes(b"\x00\x00\x08\x01" + good[4:])            # label magic on the image file
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*dimensions"):
        datasets.load("mnist", tmp_path)
    f.write_bytes(b"PK\x03\x04" + good[4:])                  # not IDX at all
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*magic"):
        datasets.load("mnist", tmp_path)
    f.write_bytes(good)
    lab = tmp_path / "train-labels-idx1-ubyte"
    lab.write_bytes(_idx_bytes(np.zeros(6, np.uint8)))        # 6 labels for 7 images
    with pytest.raises(ValueError, match="7 images.*6 labels"):
        datasets.load("mnist", tmp_path)
    lab.unlink()
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz.*gzip"):
        datasets.load("mnist", tmp_path)


# ---------------------------------------------------------------- CIFAR-10
def test_cifar(tmp_path):
    ref = _write_cifar(tmp_path / "cifar-10-batches-py")
    x, y = datasets.load("cifar10", tmp_path)
    assert x.shape == (18, 3, 32, 32)
    # channel-major rows: the first 1024 bytes are the red plane, row by row
    np.testing.assert_array_equal(np.round(x[0, 0] * 255).reshape(-1), ref[0][0][0, :1024])
    np.testing.assert_array_equal(np.round(x[0, 2, 31, 31] * 255), ref[0][0][0, 3071])
    np.testing.assert_array_equal(y, np.concatenate([r[1] for r in ref]))
    xt, yt = datasets.load("cifar10", tmp_path, split="test")
    np.testing.assert_array_equal(yt, ref[5][1])


def test_corrupt_cifar(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    _write_cifar(folder)
    (folder / "data_batch_3").write_bytes((folder / "data_batch_3").read_bytes()[:100])
    with pytest.raises(ValueError, match="data_batch_3"):
        datasets.load("cifar10", tmp_path)
    with open(folder / "data_batch_3", "wb") as fh:
        pickle.dump({b"data": np.zeros((3, 100), np.uint8), b"labels": [0, 1, 2]}, fh)
    with pytest.raises(ValueError, match="data_batch_3.*3072"):
        datasets.load("cifar10", tmp_path)
    with open(folder / "data_batch_3", "wb") as fh:
        pickle.dump({b"data": np.zeros((3, 3072), np.uint8), b"labels": [0, 1]}, fh)
    with pytest.raises(ValueError, match="data_batch_3.*labels"):
        datasets.load("cifar10", tmp_path)


# ---------------------------------------------------------------- labels, splits, sphere
def test_parity_labels():
    y = datasets.parity_labels([0, 1, 2, 3, 9, 8])
    np.testing.assert_array_equal(y, [1, -1, 1, -1, -1, 1])
    with pytest.raises(ValueError, match="labels"):
        datasets.parity_labels([[0, 1]])
    with pytest.raises(ValueError, match=">= 0"):
        datasets.parity_labels([-1])


def test_balanced_split():
    _, y = datasets.load()
    tr, te = datasets.balanced_split(y, 103, 500, rng=5)
    assert tr.size == 103 and te.size == 500
    assert np.intersect1d(tr, te).size == 0 and np.unique(tr).size == 103
    ctr = np.bincount(y[tr], minlength=10)
    cte = np.bincount(y[te], minlength=10)
    assert ctr.min() == 10 and ctr.max() == 11 and (ctr == 11).sum() == 3
    np.testing.assert_array_equal(cte, 50)
    tr2, te2 = datasets.balanced_split(y, 103, 500, rng=5)
    np.testing.assert_array_equal(tr, tr2)
    np.testing.assert_array_equal(te, te2)
    tr3, _ = datasets.balanced_split(y, 103, 500, rng=6)
    assert not np.array_equal(np.sort(tr), np.sort(tr3))
    with pytest.raises(ValueError, match="class .* points"):
        datasets.balanced_split(y, 1000, 1000, rng=0)
    with pytest.raises(ValueError, match="n_train"):
        datasets.balanced_split(y, -1, 10)


def test_to_sphere():
    x, _ = datasets.load()
    X, m = datasets.to_sphere(x)
    assert X.shape == (1797, 64)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=0, atol=1e-14)
    # independent reference: the paper's sqrt(D)-normalised inputs, one image at a time
    D = 64
    for i in (0, 17, 1796):
        v = (x[i] - x.mean(axis=0)).ravel()
        xp = np.sqrt(D) * v / np.sqrt(np.sum(v ** 2))
        np.testing.assert_allclose(np.sqrt(D) * X[i], xp, rtol=0, atol=1e-13)
    # the pool's mean of the centred images is zero
    np.testing.assert_allclose((x - m).mean(axis=0), 0.0, atol=1e-15)
    # a subset keeps the pool's centre
    Xs, _ = datasets.to_sphere(x[:10], center=m)
    np.testing.assert_allclose(Xs, X[:10], rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="images"):
        datasets.to_sphere(x[0])
    with pytest.raises(ValueError, match="center"):
        datasets.to_sphere(x, center=m[0])
    with pytest.raises(ValueError, match="equals the centre"):
        datasets.to_sphere(np.ones((3, 1, 2, 2)))
    bad = x[:3].copy()
    bad[1, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        datasets.to_sphere(bad)
