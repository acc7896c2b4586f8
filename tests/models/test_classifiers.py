"""Every region classifier keeps the contract the pipeline and the trainer rely on."""

from __future__ import annotations

import pytest
import torch
from torchvision.models import resnet18
from torchvision.models.vgg import cfgs, make_layers

from screener_gui.core.models.base import ANOMALY, CLASSES, IMAGENET_MEAN, vgg16_conv
from screener_gui.core.models.lite0 import MEAN as LITE0_MEAN
from screener_gui.core.models.macnn import diversity_loss
from screener_gui.core.models.registry import CLASSIFIER_KIND, build_classifier, names


@pytest.fixture(autouse=True)
def _one_thread():
    """The 2 test cores are shared with training jobs, where a second intra-op thread only spins."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module", params=names(CLASSIFIER_KIND))
def model(request):
    torch.manual_seed(0)
    return build_classifier(request.param)


def test_anomaly_is_class_one():
    assert CLASSES == ("benign", "anomaly")
    assert ANOMALY == 1


def test_logits_at_superpixel_and_object_crop_sizes(model):
    model.eval()
    with torch.no_grad():
        for size in ((150, 190), (224, 224)):
            logits = model(torch.randn(1, 3, *size))
            assert logits.shape == (1, 2)
            assert torch.isfinite(logits).all()


def test_activation_map_is_a_detached_grid_per_image(model):
    model.eval()
    with torch.no_grad():
        maps = model.activation_map(torch.randn(2, 3, 96, 160))
    assert maps.ndim == 3 and maps.shape[0] == 2
    assert 0 < maps.shape[1] < maps.shape[2]  # rows follow the image's height, columns its width
    assert maps.dtype == torch.float32
    assert not maps.requires_grad
    assert torch.isfinite(maps).all()


def test_predict_with_maps_agrees_with_forward_and_activation_map(model):
    model.eval()
    x = torch.randn(2, 3, 64, 96)
    with torch.inference_mode():  # as the inference pipeline calls it
        logits, maps = model.predict_with_maps(x)
        torch.testing.assert_close(logits, model(x), rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(maps, model.activation_map(x), rtol=1e-4, atol=1e-6)
    assert logits.shape == (2, 2) and maps.shape[0] == 2


def test_loss_is_a_finite_scalar_that_trains_the_model(model):
    model.train()
    model.zero_grad(set_to_none=True)
    loss, logits = model.loss(torch.randn(2, 3, 64, 64), torch.tensor([0, 1]))
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert logits.shape == (2, 2)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)
    model.zero_grad(set_to_none=True)


def test_registry_names_and_input_normalisation(model, request):
    assert model.arch == request.node.callspec.params["model"]
    expected = LITE0_MEAN if model.arch.endswith("lite0") else IMAGENET_MEAN
    assert tuple(model.mean) == expected and len(model.std) == 3


def _cam_mean_plus_bias(model, x):
    return model.activation_map(x).mean((1, 2)) + model.net.fc.bias[ANOMALY]


def _squeezenet_mean(model, x):
    return model.activation_map(x).mean((1, 2))


def _macnn_sum_plus_bias(model, x):
    return model.activation_map(x).sum((1, 2)) + model.fc.bias[ANOMALY]


@pytest.mark.parametrize(
    ("arch", "explained"),
    [("resnet18", _cam_mean_plus_bias), ("squeezenet", _squeezenet_mean), ("macnn", _macnn_sum_plus_bias)],
)
def test_activation_map_accounts_for_the_anomaly_logit(arch, explained):
    """The map is the anomaly logit spread over locations, so a hot spot is what raised the score."""
    torch.manual_seed(0)
    model = build_classifier(arch).eval()
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        torch.testing.assert_close(explained(model, x), model(x)[:, ANOMALY], rtol=1e-4, atol=1e-4)


def test_grad_cam_works_under_inference_mode():
    torch.manual_seed(0)
    model = build_classifier("bcnn").eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        expected = model.activation_map(x)
    with torch.inference_mode():
        got = model.activation_map(x)
    torch.testing.assert_close(got, expected)
    assert (got >= 0).all() and got.sum() > 0


def test_macnn_diversity_separates_overlapping_from_disjoint_parts():
    uniform = torch.full((1, 2, 4, 4), 1 / 16)
    disjoint = torch.zeros(1, 2, 4, 4)
    disjoint[0, 0, :2] = 1 / 8
    disjoint[0, 1, 2:] = 1 / 8
    assert diversity_loss(uniform) == pytest.approx(1.0)
    assert diversity_loss(disjoint) == pytest.approx(0.0)


def test_unknown_architecture_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"resnet18.*dfl_lite0"):
        build_classifier("alexnet")


def test_vgg_trunk_has_torchvision_names_and_shapes():
    ours = vgg16_conv().state_dict()
    theirs = make_layers(cfgs["D"])[:30].state_dict()
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in theirs.items()}


@pytest.fixture
def resnet18_imagenet_file(tmp_path):
    torch.manual_seed(1)
    state = resnet18(weights=None).state_dict()  # stands in for a downloaded ImageNet file
    path = tmp_path / "resnet18.pth"
    torch.save(state, path)
    return path, state


@pytest.mark.parametrize(("arch", "prefix"), [("resnet18", "net."), ("dfl_resnet18", "trunk.net.")])
def test_pretrained_torchvision_file_fills_the_backbone(resnet18_imagenet_file, arch, prefix):
    path, state = resnet18_imagenet_file
    model = build_classifier(arch, pretrained=path)
    own = model.state_dict()
    torch.testing.assert_close(own[prefix + "layer3.1.conv2.weight"], state["layer3.1.conv2.weight"])
    torch.testing.assert_close(own[prefix + "bn1.running_var"], state["bn1.running_var"])
    assert own[prefix + "fc.weight"].shape == (2, 512)  # the 1000-class head is skipped


@pytest.mark.parametrize(("arch", "prefix"), [("bcnn", ""), ("macnn", ""), ("dfl", "trunk.")])
def test_pretrained_vgg_file_fills_conv_layers(tmp_path, arch, prefix):
    conv1_1, conv5_3 = torch.randn(64, 3, 3, 3), torch.randn(512, 512, 3, 3)
    path = tmp_path / "vgg16.pth"
    torch.save(
        {
            "features.0.weight": conv1_1,
            "features.28.weight": conv5_3,
            "classifier.6.weight": torch.randn(1000, 4096),
        },
        path,
    )
    own = build_classifier(arch, pretrained=path).state_dict()
    torch.testing.assert_close(own[prefix + "features.0.weight"], conv1_1)
    torch.testing.assert_close(own[prefix + "features.28.weight"], conv5_3)


def test_weights_that_do_not_fit_are_refused(tmp_path):
    foreign = tmp_path / "foreign.pth"
    torch.save({"encoder.weight": torch.zeros(3)}, foreign)
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"not a state dict")
    with pytest.raises(ValueError, match="fits"):
        build_classifier("resnet18", pretrained=foreign)
    with pytest.raises(ValueError, match="Cannot read"):
        build_classifier("resnet18", pretrained=corrupt)
    with pytest.raises(FileNotFoundError):
        build_classifier("resnet18", pretrained=tmp_path / "missing.pth")
    with pytest.raises(ValueError, match="nothing is downloaded"):
        build_classifier("squeezenet", pretrained="imagenet")
