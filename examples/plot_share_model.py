"""
Sharing a fitted model without pickle
=====================================

Save a fitted CNN pipeline to a model file that loading cannot make run code, load it
back, check that it predicts the same, and see what loading refuses: a file whose weights
were changed, and a pickle smuggled into it.
"""

# %%
# Fit and save
# ------------
# ``MNIST_ESTIMATORS_QUICK=1`` (the docs build) caps the data and epochs.
import hashlib
import json
import os
import pickle
import tempfile
import zipfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from mnist_estimators import load, load_mnist, make_cnn_pipeline, save
from mnist_estimators.estimators.errors import UnsafeModelFileError

QUICK = os.environ.get("MNIST_ESTIMATORS_QUICK") == "1"
N_TRAIN, EPOCHS = (2000, 1) if QUICK else (60000, 5)

X, y = load_mnist("train", return_X_y=True)
X_test, y_test = load_mnist("test", return_X_y=True)
pipe = make_cnn_pipeline(epochs=EPOCHS, random_state=0).fit(X[:N_TRAIN], y[:N_TRAIN])

folder = Path(tempfile.mkdtemp())
path = save(pipe, folder / "cnn.mnist.zip")
with zipfile.ZipFile(path) as zf:
    manifest = json.loads(zf.read("manifest.json"))
print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB, members {sorted(manifest['members'])}")

# %%
# Load and compare
# ----------------
# The loaded pipeline is a full estimator, and on the same backend it predicts the same
# probabilities, bit for bit.
again = load(path)
same = np.array_equal(again.predict_proba(X_test), pipe.predict_proba(X_test))
print(f"test accuracy {again.score(X_test, y_test):.4f}; identical probabilities: {same}")


# %%
# What loading refuses
# --------------------
# A changed weight (without a new hash in the manifest), and a pickle put in place of the
# scikit-learn member (with its hash updated) are refused in one line each; the pickle is
# never unpickled.
def rewritten(member: str, data: bytes, rehash: bool) -> Path:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    members[member] = data
    if rehash:
        manifest["members"][member] = hashlib.sha256(data).hexdigest()
    out = folder / "changed.mnist.zip"
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, blob in members.items():
            zf.writestr(name, blob)
    return out


with zipfile.ZipFile(path) as zf:
    network = bytearray(zf.read("networks/0.keras"))
network[len(network) // 2] ^= 0xFF
for label, bad in [
    ("changed weight", rewritten("networks/0.keras", bytes(network), rehash=False)),
    ("smuggled pickle", rewritten("estimator.skops", pickle.dumps(print), rehash=True)),
]:
    try:
        load(bad)
    except UnsafeModelFileError as exc:
        print(f"{label}: {str(exc).split(': ', 1)[1]}")

# %%
# The first test images, as the loaded model reads them
# -----------------------------------------------------
pred = again.predict(X_test[:10])
fig, axes = plt.subplots(1, 10, figsize=(10, 1.6))
for ax, image, p, t in zip(axes, X_test[:10], pred, y_test[:10], strict=True):
    ax.imshow(image.reshape(28, 28), cmap="gray_r")
    ax.set_title(str(p), color="black" if p == t else "crimson")
    ax.axis("off")
fig.suptitle("Predicted by the loaded model (red: wrong)")
plt.show()
