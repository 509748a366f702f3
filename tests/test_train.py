"""The style trainer end to end with a tiny CLIP built here: loss, gradients, resume, score, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import need_real

from vjengine.cli import main
from vjengine.errors import InputError
from vjengine.model import conditioning, coords
from vjengine.modulate import FrameInputs, PostParams
from vjengine.render.evaluate import ReferenceBackend
from vjengine.styles.store import load_style
from vjengine.train import statistics
from vjengine.train.clip_guide import ClipGuide
from vjengine.train.clip_model import load_clip, register_model_config
from vjengine.train.cutouts import CutoutSpec, make_cutouts
from vjengine.train.job import TrainJob, run_job
from vjengine.train.loop import Trainer, init_cppn, render
from vjengine.train.moodboard import read_moodboard
from vjengine.train.prompts import WeightedPrompt, parse_prompts, prompt_set
from vjengine.train.recipe import Recipe
from vjengine.train.stats_guide import StatisticsGuide, StatisticsTarget

ROOT = Path(__file__).resolve().parents[1]
TINY_NAME = "vjtest-tiny-clip"
TINY_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8, "head_width": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory) -> dict:
    """A tiny open_clip architecture (config JSON) and seeded random weights saved as safetensors."""
    import open_clip
    from safetensors.torch import save_file

    folder = tmp_path_factory.mktemp("tiny-clip")
    config = folder / f"{TINY_NAME}.json"
    config.write_text(json.dumps(TINY_CONFIG))
    register_model_config(config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(7)
        model = open_clip.create_model(TINY_NAME)
    weights = folder / "tiny.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, weights)
    return {"config": str(config), "weights": str(weights), "name": TINY_NAME}


def tiny_args(tiny_clip: dict, out: Path, *extra: str) -> list[str]:
    return ["train", "--clip-config", tiny_clip["config"], "--clip-model", tiny_clip["name"],
            "--pretrained", tiny_clip["weights"], "--sizes", "64", "--cutouts", "4", "--no-progress",
            "--out", str(out), *extra]


def reference_picture(path: Path) -> Path:
    """Soft orange and teal diagonal stripes: a palette and structure no fresh CPPN has."""
    from PIL import Image

    y, x = np.mgrid[0:96, 0:96]
    mix = (0.5 + 0.5 * np.sin((x + y) * np.pi / 8))[..., None]
    picture = mix * np.array([255, 140, 20]) + (1 - mix) * np.array([10, 90, 100])
    Image.fromarray(picture.round().astype(np.uint8)).save(path)
    return path


def one_line_error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("vjengine: ") and "\n" not in err, err
    return err


# prompts


@pytest.mark.unit
def test_weighted_prompts_parse_weights_and_keep_colons_in_text():
    assert parse_prompts("neon grid:1 | sunset:0.5 | style: vapor") == (
        WeightedPrompt("neon grid", 1.0), WeightedPrompt("sunset", 0.5), WeightedPrompt("style: vapor", 1.0))


@pytest.mark.unit
def test_negative_weights_and_negative_option_become_negative_prompts():
    prompts = prompt_set("neon:2 | text:-0.5", negative="blurry | watermark:0.3")
    assert prompts.positive == (WeightedPrompt("neon", 2.0),)
    assert prompts.negative == (WeightedPrompt("text", 0.5), WeightedPrompt("blurry", 1.0),
                                WeightedPrompt("watermark", 0.3))


@pytest.mark.unit
@pytest.mark.parametrize("text", ["a | | b", "a:0", ":2", "a:1e999"])
def test_bad_prompt_text_is_an_input_error(text):
    with pytest.raises(InputError):
        parse_prompts(text)


@pytest.mark.parametrize("content", [None, b"", b"# only a comment\n", b"neon:0\n", b"\xff\xfe\x00bad"])
def test_bad_prompt_file_gives_one_line_error(capsys, tmp_path, tiny_clip, content):
    path = tmp_path / "prompts.txt"
    if content is not None:
        path.write_bytes(content)
    err = one_line_error(capsys, tiny_args(tiny_clip, tmp_path / "out", "--prompt-file", str(path)))
    assert str(path) in err
    assert not (tmp_path / "out").exists()


# differentiable pieces


@pytest.mark.unit
def test_cutouts_keep_gradients_and_start_with_the_whole_frame():
    frames = torch.rand(2, 3, 64, 64, requires_grad=True)
    spec = CutoutSpec(count=5, noise=0.0)
    cuts = make_cutouts(frames, 32, spec, torch.Generator().manual_seed(0))
    assert cuts.shape == (10, 3, 32, 32)
    whole = F.interpolate(frames[:1].detach(), size=(32, 32), mode="bilinear", antialias=True)
    assert torch.allclose(cuts[0], whole[0], atol=1e-5)
    cuts.sum().backward()
    assert frames.grad is not None and frames.grad.abs().sum() > 0


def test_clip_gradients_reach_every_cppn_weight(tiny_clip):
    register_model_config(tiny_clip["config"])
    guide = ClipGuide(load_clip(TINY_NAME, tiny_clip["weights"]), prompt_set("neon pink rings"))
    model = init_cppn(Recipe(sizes=(64,)))
    loss, _ = guide.loss(render(model, conditioning.sample(2), 64), torch.Generator().manual_seed(0))
    loss.backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None, name
        assert torch.isfinite(parameter.grad).all(), name
        assert parameter.grad.abs().max() > 0, name


@pytest.mark.unit
def test_band_energy_puts_a_sinusoid_in_its_octave():
    x = torch.arange(64) / 64
    for cycles, band in ((3, 1), (10, 3), (20, 4)):
        wave = 0.5 + 0.4 * torch.sin(2 * np.pi * cycles * x)
        frame = wave.expand(64, 64).expand(1, 3, 64, 64)
        shares = statistics.band_energy(frame)[0]
        assert int(shares.argmax()) == band and shares[band] > 0.9


@pytest.mark.unit
def test_gaussian_transfer_maps_mean_and_covariance():
    generator = torch.Generator().manual_seed(0)
    source = torch.randn(4000, 3, generator=generator, dtype=torch.float64) @ torch.tensor(
        [[1.0, 0.3, 0.0], [0.0, 0.5, 0.2], [0.0, 0.0, 2.0]], dtype=torch.float64)
    target = torch.randn(4000, 3, generator=generator, dtype=torch.float64) * 0.3 + 2.0
    mapped = (source - source.mean(0)) @ statistics.gaussian_transfer(source, target).T + target.mean(0)
    assert torch.allclose(torch.cov(mapped.T), torch.cov(target.T), atol=1e-6)


# training


def test_forty_steps_lower_the_clip_loss_for_every_seed(tiny_clip):
    """The loss on held-out states and cutouts drops on every seed, by far more than the spread
    of that measurement over cutout draws (a random tiny CLIP caps how far it can drop)."""
    register_model_config(tiny_clip["config"])
    guide = ClipGuide(load_clip(TINY_NAME, tiny_clip["weights"]), prompt_set("neon pink geometry"),
                      CutoutSpec(count=4))

    def held_out_loss(model, draw: int = 99) -> float:
        with torch.no_grad():
            frames = render(model, conditioning.fixed_states(8), 64)
            return float(guide.loss(frames, torch.Generator().manual_seed(draw))[0])

    drops, spreads = [], []
    for seed in (0, 1, 2):
        trainer = Trainer(guide, Recipe(steps=40, sizes=(64,), seed=seed))
        before = held_out_loss(trainer.model)
        spreads.append(float(np.std([held_out_loss(trainer.model, draw) for draw in range(3)])))
        trainer.run()
        drops.append(before - held_out_loss(trainer.model))
    assert min(drops) > 0.02 and min(drops) > 5 * max(spreads), (drops, spreads)


def test_trained_style_loads_renders_and_records_everything(capsys, tmp_path, tiny_clip):
    argv = tiny_args(tiny_clip, tmp_path, "neon pink geometry:1 | blue glow:0.5", "--name", "neon-test",
                     "--negative", "blurry", "--steps", "6", "--seed", "3")
    assert main(argv) == 0
    folder = tmp_path / "neon-test"
    for name in ("style.toml", "weights.safetensors", "preview.png", "strip.png", "training.png"):
        assert (folder / name).is_file(), name
    style = load_style(folder)
    meta = style.meta
    assert meta["method"] == "clip"
    assert meta["prompts"] == [{"text": "neon pink geometry", "weight": 1.0},
                               {"text": "blue glow", "weight": 0.5}]
    assert meta["negative_prompts"] == [{"text": "blurry", "weight": 1.0}]
    train = meta["train"]
    assert (train["clip_model"], train["pretrained"]) == (TINY_NAME, tiny_clip["weights"])
    assert (train["seed"], train["steps"], train["steps_done"], train["sizes"]) == (3, 6, 6, [64])
    assert train["date"] and "cosine" in train["score_measures"]
    frame = FrameInputs(0.0, tuple(conditioning.rest_state().tolist()), coords.IDENTITY, 0.0, PostParams())
    backend = ReferenceBackend()
    picture = backend.evaluate([backend.prepare(style)], 48, 27, frame)[0]
    assert picture.shape == (27, 48, 3) and picture.std() > 1


def test_reported_score_equals_a_direct_recomputation(tmp_path, tiny_clip):
    import open_clip

    assert main(tiny_args(tiny_clip, tmp_path, "red spiral:1 | smoke:0.25", "--name", "spiral",
                          "--steps", "4")) == 0
    style = load_style(tmp_path / "spiral")
    model = style.model()
    size = style.meta["train"]["score_size"]
    with torch.no_grad():
        rgb = model(coords.grid(size, size), conditioning.fixed_states(8))
        frames = rgb.reshape(8, size, size, 3).permute(0, 3, 1, 2)
        clip = open_clip.create_model(TINY_NAME, pretrained=tiny_clip["weights"]).eval()
        mean = torch.tensor(open_clip.OPENAI_DATASET_MEAN).view(3, 1, 1)
        std = torch.tensor(open_clip.OPENAI_DATASET_STD).view(3, 1, 1)
        resized = F.interpolate(frames, size=(32, 32), mode="bilinear", antialias=True)
        images = F.normalize(clip.encode_image((resized - mean) / std), dim=-1)
        tokens = open_clip.get_tokenizer(TINY_NAME)(["red spiral", "smoke"])
        texts = F.normalize(clip.encode_text(tokens), dim=-1)
        cosine = (images @ texts.T).mean(dim=0)
        expected = float((cosine[0] * 1.0 + cosine[1] * 0.25) / 1.25)
    assert style.meta["score"] == pytest.approx(expected, abs=1e-5)


def test_resume_continues_from_the_saved_step(tmp_path, tiny_clip):
    base = ["glitch bars", "--name", "bars", "--checkpoint-every", "2"]
    assert main(tiny_args(tiny_clip, tmp_path / "a", *base, "--steps", "4")) == 0
    assert main(tiny_args(tiny_clip, tmp_path / "a", *base, "--steps", "8", "--resume")) == 0
    assert main(tiny_args(tiny_clip, tmp_path / "b", *base, "--steps", "8")) == 0
    resumed, straight = load_style(tmp_path / "a" / "bars"), load_style(tmp_path / "b" / "bars")
    assert resumed.meta["train"]["steps_done"] == 8
    for key, tensor in straight.weights.items():
        assert torch.allclose(resumed.weights[key], tensor, atol=1e-5), key
    assert resumed.meta["score"] == pytest.approx(straight.meta["score"], abs=1e-5)


def test_resume_with_other_settings_or_nothing_saved_is_refused(capsys, tmp_path, tiny_clip):
    err = one_line_error(capsys, tiny_args(tiny_clip, tmp_path, "bars", "--name", "bars", "--resume"))
    assert "no checkpoint" in err
    assert main(tiny_args(tiny_clip, tmp_path, "bars", "--name", "bars", "--steps", "2")) == 0
    err = one_line_error(capsys, tiny_args(tiny_clip, tmp_path, "bars", "--name", "bars", "--steps", "4",
                                           "--lr", "0.01", "--resume"))
    assert "lr" in err


def test_unwritable_output_gives_one_line_error_before_training(capsys, tmp_path, tiny_clip):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    err = one_line_error(capsys, tiny_args(tiny_clip, blocker / "styles", "neon"))
    assert "not writable" in err and str(blocker) in err


@pytest.mark.parametrize("argv, words", [
    (["--steps", "0"], "steps"),
    (["--pretrained", "no-such-tag"], "not a tag"),
    (["--clip-model", "NoSuchNet"], "NoSuchNet"),
    (["--image", "/nonexistent/ref.png"], "ref.png"),
])
def test_bad_options_give_one_line_errors(capsys, tmp_path, tiny_clip, argv, words):
    args = tiny_args(tiny_clip, tmp_path, "neon", *argv)
    if "--clip-model" in argv:
        args = ["train", "neon", "--out", str(tmp_path), *argv]
    assert words in one_line_error(capsys, args)


def _run_cli(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vjengine", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_missing_clip_weights_fail_with_one_line_saying_how_to_get_them(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1",
           "HOME": str(tmp_path)}
    offline = _run_cli(["train", "neon", "--out", str(tmp_path / "out")], env)
    assert offline.returncode == 2
    line = offline.stderr.strip()
    assert "\n" not in line and "HF_HUB_OFFLINE" in line and "--pretrained PATH" in line
    unreachable = _run_cli(["train", "neon", "--out", str(tmp_path / "out")],
                           {**env, "HF_HUB_OFFLINE": "0", "HF_ENDPOINT": "http://127.0.0.1:9"})
    assert unreachable.returncode == 2
    line = unreachable.stderr.strip()
    assert "\n" not in line and "unreachable" in line and "--pretrained PATH" in line


def test_image_prompt_without_clip_moves_colour_histogram_toward_reference(tmp_path):
    reference = reference_picture(tmp_path / "ref.png")
    recipe = Recipe(steps=40, sizes=(64,), states=2, seed=1, warmup=10)
    summary = run_job(TrainJob(slug="from-image", image=str(reference), use_clip=False, recipe=recipe,
                               out=str(tmp_path / "styles")))
    assert summary.method == "image-texture"
    from PIL import Image

    wanted = statistics.colour_histogram(torch.from_numpy(np.array(Image.open(reference).convert("RGB"))))

    def distance(model) -> float:
        with torch.no_grad():
            return statistics.histogram_distance(
                statistics.colour_histogram(render(model, conditioning.fixed_states(8), 64)), wanted)

    before = distance(init_cppn(recipe))
    after = distance(load_style(tmp_path / "styles" / "from-image").model())
    assert after < 0.7 * before, (before, after)
    meta = load_style(tmp_path / "styles" / "from-image").meta
    assert meta["train"]["target"] == "texture" and meta["train"]["image"] == str(reference)


def test_statistics_training_improves_on_its_starting_colours(tmp_path):
    """Beyond the colour transfer it starts from, the colour term alone keeps improving the match."""
    from vjengine.train.reference import load_reference

    target = StatisticsTarget.from_image(load_reference(reference_picture(tmp_path / "ref.png")), 64, "ref")
    trainer = Trainer(StatisticsGuide(target, "image-statistics", band_weight=0.0),
                      Recipe(steps=40, sizes=(64,), seed=1, warmup=20))
    start = trainer.score()
    trainer.run()
    assert trainer.score() > start + 0.01


# mood boards


def test_moodboard_trains_each_style_and_writes_an_offline_sheet(tmp_path, tiny_clip):
    board = tmp_path / "board.toml"
    board.write_text(
        '[defaults]\nsteps = 3\nseed = 2\n\n'
        '[[style]]\nname = "Neon Grid"\nprompt = "neon grid:1 | pink:0.5"\nnegative = "blurry"\n\n'
        '[[style]]\nname = "sunset"\nprompt = "orange sunset"\nsteps = 2\n')
    argv = tiny_args(tiny_clip, tmp_path / "out", "--moodboard", str(board))
    assert main(argv) == 0
    sheet = (tmp_path / "out" / "moodboard.html").read_text()
    assert "Neon Grid" in sheet and "orange sunset" in sheet and "not: blurry" in sheet
    assert sheet.count("data:image/png;base64,") == 6 and "src=\"http" not in sheet
    assert load_style(tmp_path / "out" / "neon-grid").meta["train"]["steps_done"] == 3
    assert load_style(tmp_path / "out" / "sunset").meta["train"]["steps_done"] == 2


@pytest.mark.parametrize("text, words", [
    ("[[style]]\nname = 'a'\n", "needs a prompt"),
    ("[[style]]\nprompt = 'x'\n", "needs a name"),
    ("[[style]]\nname = 'a'\nprompt = 'x'\ncolour = 1\n", "unknown keys"),
    ("[[style]]\nname = 'a'\nprompt = 'x'\n[[style]]\nname = 'A'\nprompt = 'y'\n", "share"),
    ("[[style]\n", "unreadable TOML"),
    ("title = 'x'\n", "unknown top-level"),
    ("[[style]]\nname = 'a'\nprompt = 'x'\nsteps = 'many'\n", "wrong type"),
])
def test_bad_moodboard_file_gives_one_line_error(capsys, tmp_path, tiny_clip, text, words):
    board = tmp_path / "board.toml"
    board.write_text(text)
    with pytest.raises(InputError, match=words):
        read_moodboard(board)
    err = one_line_error(capsys, tiny_args(tiny_clip, tmp_path / "out", "--moodboard", str(board)))
    assert str(board) in err


def test_moodboard_runs_on_a_local_ray_cluster(tmp_path, tiny_clip, monkeypatch):
    try:
        import ray
    except ImportError:
        ray = None
    need_real(ray is not None, "the ray package (pip install 'vjengine[ray]')")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    board = tmp_path / "board.toml"
    board.write_text('[[style]]\nname = "one"\nprompt = "red rings"\nsteps = 2\n\n'
                     '[[style]]\nname = "two"\nprompt = "green waves"\nsteps = 2\n')
    context = ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        result = _run_cli(tiny_args(tiny_clip, tmp_path / "out", "--moodboard", str(board),
                                    "--ray", context.address_info["address"]), dict(os.environ))
    finally:
        ray.shutdown()
    assert result.returncode == 0, result.stderr[-2000:]
    for slug in ("one", "two"):
        style = load_style(tmp_path / "out" / slug)
        assert style.meta["train"]["steps_done"] == 2
        assert (tmp_path / "out" / slug / "strip.png").is_file()
    assert "two" in (tmp_path / "out" / "moodboard.html").read_text()


def test_training_step_benchmark_runs_on_a_tiny_model(tiny_clip):
    from vjengine.train.bench import step_seconds

    register_model_config(tiny_clip["config"])
    assert step_seconds(TINY_NAME, 64, steps=1, cutouts=2) > 0


@pytest.mark.unit
def test_moodboard_file_parses_defaults_and_relative_images(tmp_path):
    board = tmp_path / "board.toml"
    board.write_text('[defaults]\nsteps = 5\nsizes = [64, 128]\n\n'
                     '[[style]]\nname = "From Ref"\nimage = "ref.png"\nseed = 4\n')
    (entry,) = read_moodboard(board)
    assert entry == {"steps": 5, "sizes": (64, 128), "seed": 4, "image": str(tmp_path / "ref.png"),
                     "title": "From Ref", "name": "from-ref"}
