"""Discriminative Filter Learning (Wang, Morariu, Davis, "Learning a Discriminative Filter Bank within
a CNN for Fine-grained Recognition", CVPR 2018) for {benign, anomaly} regions.

A backbone is cut in two (a :class:`DFLTrunk`): the shared layers end on a high-resolution map, the
rest is the G-stream (global appearance) ending in class logits. On the shared map:

- P-stream: a 1x1 conv "bank" of ``k`` filters per class in class-major order (filters ``[0, k)``
  belong to benign, ``[k, 2k)`` to anomaly), global max pooling, a linear layer to 2 logits;
- side branch: the mean of each class's ``k`` pooled responses, i.e. 2 logits with no parameters.

Loss ``CE_G + CE_P + 0.1 CE_side``; prediction = the same weighted sum of logits. The bank is
initialised from data (:func:`initialise_bank`), not at random. Three trunks: VGG-16 as in the paper
(bank on relu4_3, stride 8), ResNet-18 (bank on layer3) and EfficientNet-Lite0 (bank on block 10),
the last two at stride 16 for CPU work.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import resnet18

from screener_gui.core.models.base import (
    ANOMALY,
    IMAGENET_MEAN,
    IMAGENET_STD,
    NUM_CLASSES,
    RegionClassifier,
    load_backbone,
    vgg16_conv,
)
from screener_gui.core.models.lite0 import MEAN, STD, STRIDE_BLOCKS, Lite0, load_imagenet

FILTERS_PER_CLASS = 10
SIDE_WEIGHT = 0.1
# Output of relu4_3 in torchvision's VGG-16 ``features`` (pool4 is index 23).
VGG_RELU4_3 = 23
_LITE0_BANK_BLOCK, _LITE0_BANK_CHANNELS = STRIDE_BLOCKS[16]


class DFLTrunk(nn.Module):
    """A backbone cut in two: ``shared`` (image -> bank input map) and ``global_logits`` (the G-stream)."""

    channels: int  # of the shared map
    stride: int  # of the shared map, px
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    # Where the keys of a torchvision ImageNet state dict live in this trunk's state dict.
    prefix: str = ""

    def shared(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def global_map(self, fmap: torch.Tensor) -> torch.Tensor:
        """The G-stream's last feature map, before global pooling."""
        raise NotImplementedError

    def global_head(self, pooled: torch.Tensor) -> torch.Tensor:
        """Class logits of globally pooled ``global_map`` features ``(N, C)``."""
        raise NotImplementedError

    def global_logits(self, fmap: torch.Tensor) -> torch.Tensor:
        return self.global_head(self.global_map(fmap).mean((2, 3)))

    def load_pretrained(self, source: str | Path) -> None:
        """Load a local torchvision-format ImageNet state dict (shape-mismatched keys skipped)."""
        if str(source) == "imagenet":
            raise ValueError(
                f"No ImageNet weights are installed for {type(self).__name__}: pass the path "
                "of a local torchvision-format state dict (nothing is downloaded)"
            )
        load_backbone(self, source, self.prefix)


class VGG16Trunk(DFLTrunk):
    """Shared conv1_1..relu4_3 (stride 8); G-stream pool4 + conv5 + global average + linear."""

    channels, stride = 512, 8

    def __init__(self):
        super().__init__()
        self.features = vgg16_conv()
        self.fc = nn.Linear(512, NUM_CLASSES)

    def shared(self, x: torch.Tensor) -> torch.Tensor:
        return self.features[:VGG_RELU4_3](x)

    def global_map(self, fmap: torch.Tensor) -> torch.Tensor:
        return self.features[VGG_RELU4_3:](fmap)

    def global_head(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.fc(pooled)


class ResNet18Trunk(DFLTrunk):
    """Shared stem..layer3 (stride 16, 256 ch); G-stream layer4 + global average + fc."""

    channels, stride = 256, 16
    prefix = "net."

    def __init__(self):
        super().__init__()
        self.net = resnet18(weights=None, num_classes=NUM_CLASSES)

    def shared(self, x: torch.Tensor) -> torch.Tensor:
        n = self.net
        x = n.maxpool(n.relu(n.bn1(n.conv1(x))))
        return n.layer3(n.layer2(n.layer1(x)))

    def global_map(self, fmap: torch.Tensor) -> torch.Tensor:
        return self.net.layer4(fmap)

    def global_head(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.net.fc(pooled)


class Lite0Trunk(DFLTrunk):
    """Shared stem + blocks 0..10 (stride 16, 112 ch); G-stream blocks 11..15 + head + average + fc."""

    channels, stride = _LITE0_BANK_CHANNELS, 16
    mean, std = MEAN, STD

    def __init__(self):
        super().__init__()
        self.net = Lite0(num_classes=NUM_CLASSES)

    def shared(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.run_blocks(x, 0, _LITE0_BANK_BLOCK)

    def global_map(self, fmap: torch.Tensor) -> torch.Tensor:
        return self.net.head(self.net.run_blocks(fmap, _LITE0_BANK_BLOCK + 1))

    def global_head(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.net._fc(pooled)

    def load_pretrained(self, source: str | Path) -> None:
        """``"imagenet"``: the installed package's weights; otherwise a Lite0 state dict file."""
        load_imagenet(self.net, None if str(source) == "imagenet" else Path(source))


class DFL(RegionClassifier):
    """DFL head (P-stream bank, side branch, G-stream) on any :class:`DFLTrunk`."""

    def __init__(self, trunk: DFLTrunk, arch: str, filters_per_class: int = FILTERS_PER_CLASS):
        super().__init__()
        self.arch = arch
        self.mean, self.std = trunk.mean, trunk.std
        self.trunk = trunk
        self.filters_per_class = filters_per_class
        self.bank = nn.Conv2d(trunk.channels, NUM_CLASSES * filters_per_class, 1)
        self.p_fc = nn.Linear(NUM_CLASSES * filters_per_class, NUM_CLASSES)

    def bank_input(self, x: torch.Tensor) -> torch.Tensor:
        """The shared map the bank filters, ``(N, trunk.channels, H/stride, W/stride)``."""
        return self.trunk.shared(x)

    def streams(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits ``(N, 2)`` of the G-stream, the P-stream and the side branch."""
        fmap = self.trunk.shared(x)
        return self._streams(fmap, self.bank(fmap))

    def _streams(self, fmap: torch.Tensor, responses: torch.Tensor) -> tuple[torch.Tensor, ...]:
        pooled = F.adaptive_max_pool2d(responses, 1).flatten(1)
        side = pooled.view(-1, NUM_CLASSES, self.filters_per_class).mean(-1)
        return self.trunk.global_logits(fmap), self.p_fc(pooled), side

    def _anomaly_map(self, responses: torch.Tensor) -> torch.Tensor:
        k = self.filters_per_class
        return responses[:, ANOMALY * k : (ANOMALY + 1) * k].mean(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g, p, side = self.streams(x)
        return g + p + SIDE_WEIGHT * side

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        g, p, side = self.streams(x)
        total = F.cross_entropy(g, y) + F.cross_entropy(p, y) + SIDE_WEIGHT * F.cross_entropy(side, y)
        return total, g + p + SIDE_WEIGHT * side

    def activation_map(self, x: torch.Tensor) -> torch.Tensor:
        """Mean response of the anomaly-class filters, before pooling, at the trunk's stride."""
        with torch.no_grad():
            return self._anomaly_map(self.bank(self.trunk.shared(x)))

    def predict_with_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            fmap = self.trunk.shared(x)
            responses = self.bank(fmap)
            g, p, side = self._streams(fmap, responses)
            return g + p + SIDE_WEIGHT * side, self._anomaly_map(responses)

    def load_pretrained(self, source: str | Path) -> None:
        self.trunk.load_pretrained(source)


def dfl_vgg16(*, filters_per_class: int = FILTERS_PER_CLASS) -> DFL:
    """DFL as in the paper: VGG-16, bank on relu4_3 (stride 8)."""
    return DFL(VGG16Trunk(), "dfl", filters_per_class)


def dfl_resnet18(*, filters_per_class: int = FILTERS_PER_CLASS) -> DFL:
    """DFL on ResNet-18: bank on layer3 (stride 16), G-stream on layer4."""
    return DFL(ResNet18Trunk(), "dfl_resnet18", filters_per_class)


def dfl_lite0(*, filters_per_class: int = FILTERS_PER_CLASS) -> DFL:
    """DFL on EfficientNet-Lite0: bank on block 10 (stride 16), G-stream on blocks 11..15 + head."""
    return DFL(Lite0Trunk(), "dfl_lite0", filters_per_class)


def peak_features(fmap: torch.Tensor, per_image: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Feature vectors at the energy peaks of each map.

    The energy of a location is the L2 norm of its feature vector; peaks are 3x3 local maxima of
    energy (non-maximum suppression) with positive energy, the strongest ``per_image`` of each map.

    Args:
        fmap: ``(N, C, h, w)`` feature maps.
        per_image: most peaks kept per map.

    Returns:
        ``(M, C)`` peak vectors and ``(M,)`` the index of the map each came from.
    """
    n, c = fmap.shape[:2]
    energy = fmap.norm(dim=1)
    is_peak = (energy == F.max_pool2d(energy[:, None], 3, 1, 1)[:, 0]) & (energy > 0)
    score = energy.masked_fill(~is_peak, -1.0).flatten(1)
    top, where = score.topk(min(per_image, score.shape[1]), dim=1)
    vectors = fmap.flatten(2).transpose(1, 2).gather(1, where[..., None].expand(-1, -1, c))
    keep = top > 0
    image = torch.arange(n, device=fmap.device)[:, None].expand_as(where)
    return vectors[keep], image[keep]


def kmeans(points: torch.Tensor, k: int, *, seed: int = 0, iterations: int = 100) -> torch.Tensor:
    """Lloyd's k-means with k-means++ seeding (Arthur & Vassilvitskii 2007), deterministic per seed.

    When there are fewer points than ``k`` they are repeated with small seeded noise (1e-3 of their
    mean norm), so ``k`` distinct centroids always come back.

    Args:
        points: ``(M, C)``, ``M >= 1``.
        k: number of centroids.

    Returns:
        ``(k, C)`` centroids (float32, on ``points``' device).
    """
    if len(points) == 0:
        raise ValueError("k-means needs at least one point")
    device = points.device
    generator = torch.Generator().manual_seed(seed)
    points = points.detach().to("cpu", torch.float32)
    if len(points) < k:
        copies = -(-k // len(points)) - 1
        scale = 1e-3 * float(points.norm(dim=1).mean().clamp_min(1e-6))
        noisy = points.repeat(copies, 1)
        noisy += scale * torch.randn(noisy.shape, generator=generator)
        points = torch.cat([points, noisy])
    first = int(torch.randint(len(points), (1,), generator=generator))
    centres = [points[first]]
    nearest = ((points - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        weights = nearest if nearest.sum() > 0 else torch.ones_like(nearest)
        pick = int(torch.multinomial(weights, 1, generator=generator))
        centres.append(points[pick])
        nearest = torch.minimum(nearest, ((points - points[pick]) ** 2).sum(1))
    centroids = torch.stack(centres)
    for _ in range(iterations):
        assign = torch.cdist(points, centroids).argmin(1)
        counts = torch.bincount(assign, minlength=k).float()
        sums = torch.zeros_like(centroids).index_add_(0, assign, points)
        # An emptied cluster keeps its centre rather than collapsing to the origin.
        updated = torch.where(counts[:, None] > 0, sums / counts.clamp_min(1)[:, None], centroids)
        if torch.equal(updated, centroids):
            break
        centroids = updated
    return centroids.to(device)


def initialise_bank(
    model: DFL, images: torch.Tensor, labels: torch.Tensor, *, peaks_per_image: int = 4, seed: int = 0
) -> torch.Tensor:
    """Initialise the filter bank from training crops, as the paper does, and return the filters.

    In eval mode and without gradients: the bank-input features of every crop (in chunks of 32),
    their :func:`peak_features`, and per class a :func:`kmeans` of that class's peak vectors into
    ``k`` centroids. Peak vectors are L2-normalised before clustering and the centroids after, so a
    filter measures how well a location's feature *direction* matches a discriminative patch and its
    response keeps the scale of the features (raw centroids would respond with the squared feature
    norm and swamp the other streams at the start of training). The centroids are copied in place
    into ``model.bank.weight`` (the bias is zeroed), class-major, so that the side branch groups them.

    Args:
        model: the DFL model; its training mode is restored afterwards.
        images: ``(N, 3, H, W)`` normalised training crops; every class must appear.
        labels: ``(N,)`` class indices.
        peaks_per_image: peaks kept per crop.
        seed: seed of the k-means.

    Returns:
        ``(2k, C)`` centroids (on the CPU) in bank order: rows ``[c k, (c + 1) k)`` belong to class ``c``.
    """
    device = model.bank.weight.device
    labels = labels.to("cpu")
    was_training = model.training
    model.eval()
    vectors, owners = [], []
    try:
        with torch.no_grad():
            for start in range(0, len(images), 32):
                chunk = images[start : start + 32].to(device)
                found, image = peak_features(model.bank_input(chunk), peaks_per_image)
                vectors.append(found.cpu())
                owners.append(labels[start + image.cpu()])
    finally:
        model.train(was_training)
    return bank_from_peaks(model, torch.cat(vectors), torch.cat(owners), seed=seed)


def bank_from_peaks(
    model: DFL, vectors: torch.Tensor, owners: torch.Tensor, *, seed: int = 0
) -> torch.Tensor:
    """Per class, k-means of the L2-normalised peak ``vectors`` ``(M, C)`` whose class is ``owners``
    ``(M,)``; the normalised centroids are copied in place into the bank (bias zeroed), class-major.
    Returns the ``(2k, C)`` centroids."""
    k = model.filters_per_class
    vectors = F.normalize(vectors.float().cpu(), dim=1)
    owners = owners.cpu()
    blocks = []
    for cls in range(NUM_CLASSES):
        mine = vectors[owners == cls]
        if len(mine) == 0:
            raise ValueError(f"Cannot initialise the filter bank: no feature peaks for class {cls}")
        blocks.append(F.normalize(kmeans(mine, k, seed=seed + cls), dim=1))
    centroids = torch.cat(blocks)
    with torch.no_grad():
        model.bank.weight.copy_(centroids.view_as(model.bank.weight))
        model.bank.bias.zero_()
    return centroids
