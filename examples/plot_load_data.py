"""
Loading data from each source
=============================

MNIST from local IDX files, Fashion-MNIST from Debian's package, and
scikit-learn's embedded 8x8 digits, all as the same scikit-learn ``Bunch``:
flat ``uint8`` pixels in ``data``, a view of them as images in ``images``,
integer labels in ``target``, and where the files came from in ``source``.
"""

# %%
import matplotlib.pyplot as plt

from mnist_estimators import load_digits_images, load_fashion_mnist, load_mnist
from mnist_estimators.datasets import DatasetNotFoundError

loaders = {
    "MNIST": load_mnist,
    "Fashion-MNIST": load_fashion_mnist,
    "digits (8x8)": load_digits_images,
}
bunches = {}
for name, load in loaders.items():
    try:
        bunches[name] = load("test")
    except DatasetNotFoundError as exc:  # e.g. Fashion-MNIST not installed
        print(f"{name}: not found ({exc})")
        continue
    b = bunches[name]
    print(f"{name}: {b.data.shape} {b.data.dtype}, {len(b.target_names)} classes, from {b.source}")

# %%
# The first image of each class
# -----------------------------
fig, axes = plt.subplots(len(bunches), 10, figsize=(10, 1.2 * len(bunches) + 0.3))
for row, (name, b) in zip(axes.reshape(len(bunches), 10), bunches.items(), strict=False):
    for k, ax in enumerate(row):
        ax.imshow(b.images[(b.target == k).argmax()], cmap="gray_r")
        ax.set_axis_off()
        ax.set_title(str(b.target_names[k])[:8], fontsize=7)
    row[0].text(-0.5, 0.5, name, transform=row[0].transAxes, ha="right", va="center", fontsize=9)
fig.tight_layout()
plt.show()
