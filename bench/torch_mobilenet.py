"""PyTorch peer for bench/transfer.ts: MobileNetV2 feature extraction (torchvision's architecture).

Times the forward pass of torchvision's MobileNetV2 (alpha 1.0) up to its 1280 pooled features on
224x224x3 inputs, in eval mode under no_grad, with 2 threads (the caller sets OPENBLAS_NUM_THREADS=1).
Random weights: for timing only (the arithmetic is the same as with ImageNet weights). Prints one JSON line.
"""
import json
import sys
import time

import torch
import torchvision

batch, batches = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(2)
torch.manual_seed(0)
model = torchvision.models.mobilenet_v2(weights=None).features.eval()
x = torch.rand(batch, 3, 224, 224)
with torch.no_grad():
    for _ in range(2):
        model(x)
    start = time.perf_counter()
    for _ in range(batches):
        f = torch.nn.functional.adaptive_avg_pool2d(model(x), 1).flatten(1)
    seconds = time.perf_counter() - start
assert f.shape == (batch, 1280)
print(json.dumps({"imagesPerSecond": batch * batches / seconds, "torch": torch.__version__, "torchvision": torchvision.__version__}))
