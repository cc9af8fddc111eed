"""PyTorch peer for bench/train.ts: the same small CNN, data, optimizer and schedule.

Reads the images/labels/split written by bench/train.ts, trains with 2 threads (BLAS pool at 1 thread,
set by the caller through OPENBLAS_NUM_THREADS), Keras-style initial values (Glorot-uniform kernels, zero
biases), Adam 1e-3 with epsilon 1e-7, batch 32, shuffled each epoch. Prints one JSON line.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn

path, epochs, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(2)
torch.manual_seed(seed)
rng = np.random.default_rng(seed)

meta = json.load(open(path + ".torch.json"))
n = meta["count"]
x = np.fromfile(path + ".u8", dtype=np.uint8).reshape(n, 1, 28, 28).astype(np.float32) / 255.0
y = np.array(meta["labels"], dtype=np.int64)
split = np.array(meta["splits"])
train_idx = np.nonzero(split == "train")[0]
test_idx = np.nonzero(split == "test")[0]
xt = torch.from_numpy(x)
yt = torch.from_numpy(y)

model = nn.Sequential(
    nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(32 * 5 * 5, 64), nn.ReLU(), nn.Linear(64, 10),
)
for m in model.modules():
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)
opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
loss_fn = nn.CrossEntropyLoss()

rates = []
for epoch in range(epochs):
    order = rng.permutation(train_idx)
    model.train()
    start = time.perf_counter()
    for b in range(0, len(order), 32):
        idx = torch.from_numpy(order[b:b + 32])
        opt.zero_grad()
        loss = loss_fn(model(xt[idx]), yt[idx])
        loss.backward()
        opt.step()
    rates.append(len(order) / (time.perf_counter() - start))

model.eval()
with torch.no_grad():
    pred = model(xt[torch.from_numpy(test_idx)]).argmax(1)
acc = float((pred == yt[torch.from_numpy(test_idx)]).float().mean())
print(json.dumps({"rates": rates, "accuracy": acc, "torch": torch.__version__}))
