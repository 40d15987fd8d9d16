"""Image data sets, offline: loaders, parity labels, balanced splits and the map to the sphere.

Public functions
----------------
``load(name="digits", data_dir=None, split="all")``
    Images ``(N, C, H, W)`` float64 in [0, 1] and integer class labels ``(N,)``.
``parity_labels(labels)``
    +1 for an even class index, -1 for an odd one (the paper's binary task).
``balanced_split(labels, n_train, n_test, rng=None)``
    Class-balanced, disjoint, seeded train/test index arrays.
``to_sphere(images, center=None)``
    Images -> rows of a ``(N, D)`` array on S^{D-1} (centred, flattened, unit norm), and the centre.
``DATASETS``
    The valid names: ``"digits"``, ``"mnist"``, ``"fashion-mnist"``, ``"cifar10"``.

Nothing is ever downloaded. ``"digits"`` is scikit-learn's bundled copy of the UCI 8x8 handwritten digits
(1797 images, 10 classes) and always works. The other three are read from a folder the user gives
(``data_dir``), in their standard distribution formats:

* MNIST / Fashion-MNIST: the IDX files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
  ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each optionally gzipped (``.gz``), as distributed at
  http://yann.lecun.com/exdb/mnist/ and https://github.com/zalandoresearch/fashion-mnist. Because both sets use
  the same file names, they are looked for in ``data_dir`` itself and in the sub-folders
  ``data_dir/<name>``, ``data_dir/<Name>/raw`` (torchvision's layout, e.g. ``MNIST/raw``, ``FashionMNIST/raw``).
* CIFAR-10: the "python version" ``cifar-10-python.tar.gz`` of https://www.cs.toronto.edu/~kriz/cifar.html,
  extracted: ``cifar-10-batches-py/data_batch_1`` ... ``data_batch_5`` and ``test_batch`` (pickled dicts with
  ``b"data"``: ``(10000, 3072)`` uint8 in channel-major order and ``b"labels"``), looked for in
  ``data_dir/cifar-10-batches-py`` and ``data_dir``. These are Python pickles: load only files you trust.

Relation to the paper's normalisation
-------------------------------------
The paper (after the authors' experiment scripts) centres every image on the mean image of the pooled
train + test set and rescales it to norm sqrt(D), D = C·H·W; the network then sees ``w·x / sqrt(D)`` with
``w ~ N(0, I_D)``. Writing ``x = sqrt(D) u`` with ``|u| = 1``, this is ``w·u``: exactly the library's
convention of inputs on the unit sphere S^{D-1} with a standard Gaussian first layer (docs/CONVENTIONS.md).
``to_sphere`` returns ``u``; multiply by ``sqrt(D)`` to get the paper's ``x``.
"""
from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path

import numpy as np

from ._validate import as_rng, check_int

__all__ = ["DATASETS", "load", "parity_labels", "balanced_split", "to_sphere"]

DATASETS = ("digits", "mnist", "fashion-mnist", "cifar10")

_IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
              "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
_IDX_SUBDIRS = {"mnist": ("mnist", "MNIST", os.path.join("MNIST", "raw")),
                "fashion-mnist": ("fashion-mnist", "fashion_mnist", "FashionMNIST",
                                  os.path.join("FashionMNIST", "raw"))}
_IDX_SOURCES = {"mnist": "http://yann.lecun.com/exdb/mnist/",
                "fashion-mnist": "https://github.com/zalandoresearch/fashion-mnist"}
_CIFAR_FILES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}
_CIFAR_SOURCE = "https://www.cs.toronto.edu/~kriz/cifar.html (cifar-10-python.tar.gz, extracted)"
_SPLITS = ("all", "train", "test")


# ----------------------------------------------------------------------------------------------------------
# file readers
# ----------------------------------------------------------------------------------------------------------
def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when its name ends in .gz (a broken gzip stream is a ValueError)."""
    if path.suffix == ".gz":
        try:
            with gzip.open(path, "rb") as fh:
                return fh.read()
        except (OSError, EOFError) as exc:
            raise ValueError(f"{path}: not a valid gzip file ({exc})") from exc
    return path.read_bytes()


def _read_idx(path: Path, ndim: int) -> np.ndarray:
    """An IDX file of unsigned bytes with ``ndim`` dimensions (3 for images, 1 for labels).

    Layout: two zero bytes, the type code 0x08 (unsigned byte), the number of dimensions, then that many
    big-endian uint32 sizes, then the data in C order. Every disagreement is a ValueError naming the file.
    """
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    if raw[2] != 0x08:
        raise ValueError(f"{path}: IDX type code 0x{raw[2]:02x}, expected 0x08 (unsigned bytes)")
    if raw[3] != ndim:
        raise ValueError(f"{path}: IDX file with {raw[3]} dimensions, expected {ndim} "
                         f"(magic 0x{0x800 + ndim:08x})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes, need {header})")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64))
    if len(raw) - header != expected:
        raise ValueError(f"{path}: the header says shape {shape} ({expected} bytes of data) but the file holds "
                         f"{len(raw) - header} bytes (truncated or corrupt)")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _find(candidates, what, source: str) -> dict:
    """The first folder of ``candidates`` that holds every file of ``what`` (plain or .gz): {name: path}."""
    for folder in candidates:
        found = []
        for name in what:
            for path in (folder / name, folder / (name + ".gz")):
                if path.is_file():
                    found.append(path)
                    break
        if len(found) == len(what):
            return dict(zip(what, found))
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"expected the files {', '.join(what)} (each optionally .gz) in one of: {looked}; "
                            f"they come from {source}. spherekern never downloads: fetch them and pass "
                            f"data_dir=the folder")


def _load_idx(name: str, data_dir: Path, parts):
    folders = [data_dir] + [data_dir / s for s in _IDX_SUBDIRS[name]]
    paths = _find(folders, sum((_IDX_FILES[p] for p in parts), ()), _IDX_SOURCES[name])
    loaded = [_read_idx_pair(paths[_IDX_FILES[p][0]], paths[_IDX_FILES[p][1]]) for p in parts]
    return np.concatenate([x for x, _ in loaded]), np.concatenate([y for _, y in loaded])


def _read_idx_pair(img_path: Path, lab_path: Path):
    images = _read_idx(img_path, 3)
    labels = _read_idx(lab_path, 1)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{img_path} holds {images.shape[0]} images but {lab_path} holds {labels.shape[0]} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{lab_path}: labels must be class indices 0..9, found {int(labels.max())}")
    return images[:, None, :, :], labels


def _read_cifar_batch(path: Path):
    try:
        with open(path, "rb") as fh:
            batch = pickle.load(fh, encoding="bytes")
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError, IndexError) as exc:
        raise ValueError(f"{path}: not a CIFAR-10 python batch (unpickling failed: {exc})") from exc
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise ValueError(f"{path}: not a CIFAR-10 python batch (expected a dict with b'data' and b'labels')")
    data = np.asarray(batch[b"data"])
    labels = np.asarray(batch[b"labels"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{path}: b'data' must be a uint8 array of shape (N, 3072), got {data.dtype} {data.shape}")
    if labels.ndim != 1 or labels.shape[0] != data.shape[0] or labels.dtype.kind not in "iu":
        raise ValueError(f"{path}: b'labels' must be {data.shape[0]} integers, got {labels.dtype} {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"{path}: labels must be class indices 0..9")
    return data.reshape(-1, 3, 32, 32), labels


def _load_cifar(data_dir: Path, parts):
    paths = list(_find([data_dir / "cifar-10-batches-py", data_dir], sum((_CIFAR_FILES[p] for p in parts), ()),
                       _CIFAR_SOURCE).values())
    if any(p.suffix == ".gz" for p in paths):
        bad = next(p for p in paths if p.suffix == ".gz")
        raise ValueError(f"{bad}: CIFAR-10 batches are read unzipped (extract cifar-10-python.tar.gz)")
    parts = [_read_cifar_batch(p) for p in paths]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


# ----------------------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------------------
def load(name: str = "digits", data_dir=None, split: str = "all"):
    """Load an image classification data set from local files (never downloads).

    Parameters
    ----------
    name : {"digits", "mnist", "fashion-mnist", "cifar10"}
        ``"digits"`` (the default) is scikit-learn's bundled 8x8 digits (1797 images, classes 0-9, no
        train/test split of its own). The others are read from ``data_dir`` in their standard formats (see the
        module docstring for the file names and where they come from).
    data_dir : str or os.PathLike, optional
        The folder holding the files; required for every name but ``"digits"``.
    split : {"all", "train", "test"}
        ``"all"`` (default) pools the train and test sets in that order, as the paper does before drawing its
        own balanced splits; ``"train"`` / ``"test"`` return one standard split (not available for digits).

    Returns
    -------
    images : ndarray of float64, shape (N, C, H, W)
        Pixel intensities rescaled to [0, 1] (digits: /16, the others: /255). C = 1 except CIFAR-10 (C = 3,
        RGB); H = W = 8 (digits), 28 (MNIST, Fashion-MNIST), 32 (CIFAR-10).
    labels : ndarray of int64, shape (N,)
        Class indices 0..9.

    Raises
    ------
    ValueError
        Unknown ``name`` or ``split``; a corrupt or truncated file (the message names it).
    FileNotFoundError
        ``data_dir`` missing or without the expected files (the message lists them and their source).
    """
    if name not in DATASETS:
        raise ValueError(f"name must be one of {', '.join(repr(n) for n in DATASETS)}, got {name!r}")
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {', '.join(repr(s) for s in _SPLITS)}, got {split!r}")
    if name == "digits":
        if split != "all":
            raise ValueError("split must be 'all' for name='digits' (the 8x8 digits have no standard "
                             "train/test split; draw one with balanced_split)")
        from sklearn.datasets import load_digits
        data = load_digits()
        images = np.asarray(data.images, dtype=np.float64)[:, None, :, :] / 16.0
        return np.ascontiguousarray(images), np.asarray(data.target, dtype=np.int64)
    if data_dir is None:
        raise FileNotFoundError(f"name={name!r} is read from local files: pass data_dir=the folder that holds "
                                f"them (see spherekern.datasets' docstring for the expected files)")
    data_dir = Path(data_dir).expanduser()
    if not data_dir.is_dir():
        raise FileNotFoundError(f"data_dir {str(data_dir)!r} is not a folder")
    parts = ("train", "test") if split == "all" else (split,)
    images, labels = _load_cifar(data_dir, parts) if name == "cifar10" else _load_idx(name, data_dir, parts)
    images = images.astype(np.float64) / 255.0
    labels = labels.astype(np.int64)
    return np.ascontiguousarray(images), labels


def _as_labels(labels, name: str = "labels") -> np.ndarray:
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one class index per image), got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must hold integer class indices")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer class indices, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def parity_labels(labels) -> np.ndarray:
    """Binary labels by class parity: y = +1 for an even class index, -1 for an odd one.

    Parameters
    ----------
    labels : array_like of int, shape (N,)
        Class indices (>= 0).

    Returns
    -------
    y : ndarray of float64, shape (N,)
        ``1 - 2 (labels mod 2)``.
    """
    arr = _as_labels(labels)
    if arr.size and arr.min() < 0:
        raise ValueError("labels must be class indices >= 0")
    return (1 - 2 * (arr % 2)).astype(np.float64)


def balanced_split(labels, n_train: int, n_test: int, rng=None):
    """Class-balanced, disjoint, seeded train and test index sets.

    Each of the K classes present in ``labels`` gets ``n // K`` points of a set of size n; the ``n mod K``
    remaining points go to distinct classes drawn at random. Within a class, train and test points are drawn
    without replacement from one random permutation, so the two sets are disjoint.

    Parameters
    ----------
    labels : array_like of int, shape (N,)
        Class indices (balance on the original classes, as the paper does, or on parity labels).
    n_train, n_test : int
        Sizes of the two sets (>= 0).
    rng : None, int or numpy.random.Generator
        The seed.

    Returns
    -------
    train, test : ndarray of int64
        Indices into ``labels``, each in random order.

    Raises
    ------
    ValueError
        A class has fewer than the points the split needs from it.
    """
    arr = _as_labels(labels)
    n_train = check_int(n_train, "n_train", 0)
    n_test = check_int(n_test, "n_test", 0)
    rng = as_rng(rng)
    classes = np.unique(arr)
    k = classes.size
    if k == 0:
        raise ValueError("labels must not be empty")

    def counts(n):
        c = np.full(k, n // k, dtype=np.int64)
        c[rng.choice(k, size=n % k, replace=False)] += 1
        return c

    c_train, c_test = counts(n_train), counts(n_test)
    train, test = [], []
    for j, cls in enumerate(classes):
        members = np.flatnonzero(arr == cls)
        need = c_train[j] + c_test[j]
        if need > members.size:
            raise ValueError(f"class {cls} has {members.size} points but the split needs {need} "
                             f"(n_train={n_train}, n_test={n_test} over {k} classes): lower n_train or n_test")
        perm = rng.permutation(members)
        train.append(perm[:c_train[j]])
        test.append(perm[c_train[j]:need])
    train = rng.permutation(np.concatenate(train)).astype(np.int64)
    test = rng.permutation(np.concatenate(test)).astype(np.int64)
    return train, test


def to_sphere(images, center=None):
    """Map images to points of the unit sphere S^{D-1}: centre, flatten, normalise.

    ``u_i = (x_i - m) / |x_i - m|`` with ``m`` the mean image of the pool (``images.mean(0)``) unless ``center``
    is given (use the pool's centre for a subset, as the paper centres on the whole pool). The paper's input is
    ``sqrt(D) u_i`` and its network sees ``w·(sqrt(D) u_i)/sqrt(D) = w·u_i`` (module docstring).

    Parameters
    ----------
    images : array_like, shape (N, C, H, W) or (N, D)
        Finite real images.
    center : array_like, optional
        The centre, of shape ``images.shape[1:]``; default the mean image.

    Returns
    -------
    X : ndarray of float64, shape (N, D)
        Unit rows, D = C·H·W.
    center : ndarray of float64, shape images.shape[1:]
        The centre used.

    Raises
    ------
    ValueError
        Wrong rank, non-finite values, a centre of the wrong shape, or an image equal to the centre (it has no
        direction).
    """
    arr = np.asarray(images)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"images must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim not in (2, 4):
        raise ValueError(f"images must be (N, C, H, W) or (N, D), got shape {arr.shape}")
    arr = np.asarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError("images contains NaN or inf")
    if center is None:
        if arr.shape[0] == 0:
            raise ValueError("images must not be empty when center is not given")
        center = arr.mean(axis=0)
    else:
        center = np.asarray(center, dtype=np.float64)
        if center.shape != arr.shape[1:]:
            raise ValueError(f"center must have shape {arr.shape[1:]} (one image), got {center.shape}")
        if not np.all(np.isfinite(center)):
            raise ValueError("center contains NaN or inf")
    X = (arr - center).reshape(arr.shape[0], -1)
    norms = np.sqrt(np.einsum("ij,ij->i", X, X))
    scale = max(float(np.abs(arr).max(initial=0.0)), 1.0) * np.sqrt(X.shape[1])
    zero = norms <= 1e-12 * scale
    if np.any(zero):
        raise ValueError(f"images row {int(np.argmax(zero))} equals the centre: it has no direction on the sphere")
    X /= norms[:, None]
    return np.ascontiguousarray(X), center
