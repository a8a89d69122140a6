"""The reference networks and a plain training loop in PyTorch, for benchmarks/harness.py.

    python benchmarks/torch_reference.py DATA.npz {cnn,lstm} EPOCHS BATCH_SIZE

Prints ``[fit seconds, predict seconds]`` as JSON. It runs in its own process:
TensorFlow and PyTorch loaded into one interpreter crash on these machines
(segmentation fault; each brings its own OpenMP and oneDNN runtimes).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

PREDICT_BATCH = 1024


def torch_network(model: str):
    """The same networks in PyTorch (softmax folded into the loss, as usual there)."""
    import torch
    from torch import nn

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU()
            )
            self.head = nn.Sequential(
                nn.Flatten(),
                nn.Linear(64 * 11 * 11, 128),
                nn.ReLU(),
                nn.Dropout(0.5),
                nn.Linear(128, 10),
            )

        def forward(self, x):
            return self.head(self.features(x))

    class LSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, 128, batch_first=True)  # PyTorch's fused kernel
            self.head = nn.Sequential(nn.Dropout(0.5), nn.Linear(128, 10))

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.head(out[:, -1])

    torch.manual_seed(0)
    return CNN() if model == "cnn" else LSTM()


def main(path: str, model: str, epochs: str, batch_size: str) -> None:
    import torch

    data = np.load(path)
    epochs, batch_size = int(epochs), int(batch_size)
    shape = (-1, 1, 28, 28) if model == "cnn" else (-1, 28, 28)  # channels first
    Xi = torch.from_numpy((data["X"] / 255.0).astype(np.float32).reshape(shape))
    Xti = torch.from_numpy((data["Xt"] / 255.0).astype(np.float32).reshape(shape))
    yi = torch.from_numpy(data["y"].astype(np.int64))
    start = time.perf_counter()
    net = torch_network(model)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.001)
    loss_fn = torch.nn.CrossEntropyLoss()
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(yi))
        for i in range(0, len(yi), batch_size):
            idx = order[i : i + batch_size]
            optimizer.zero_grad()
            loss_fn(net(Xi[idx]), yi[idx]).backward()
            optimizer.step()
    fit = time.perf_counter() - start
    start = time.perf_counter()
    net.eval()
    with torch.no_grad():
        for i in range(0, len(Xti), PREDICT_BATCH):
            net(Xti[i : i + PREDICT_BATCH]).argmax(dim=1)
    print(json.dumps([fit, time.perf_counter() - start]))


if __name__ == "__main__":
    main(*sys.argv[1:5])
