"""The `vjengine train` command: options, progress bar, and the call into the training job."""

from __future__ import annotations

import argparse
from pathlib import Path

from vjengine.errors import InputError


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 256,512, got {text!r}") from None
    return sizes


def _scales(text: str) -> tuple[float, float, float]:
    try:
        scales = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 1.5 or x,y,r like 0.3,0.3,3, got {text!r}") from None
    if len(scales) not in (1, 3):
        raise argparse.ArgumentTypeError(f"expected one number or three (x,y,r), got {text!r}")
    return scales * 3 if len(scales) == 1 else scales


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The trainer's options (shared by `vjengine train` and tools/train_style.py)."""
    from vjengine.train.recipe import Recipe

    default = Recipe()
    what = parser.add_argument_group("what to train")
    what.add_argument("prompt", nargs="?", default="",
                      help='text prompt; weighted parts: "neon grid:1 | sunset:0.5"')
    what.add_argument("--name", help="style folder name (default: from the prompt or image)")
    what.add_argument("--negative", default="", help='prompts to steer away from ("blurry | text")')
    what.add_argument("--prompt-file", type=Path, help="read the prompt from a text file, one a line")
    what.add_argument("--image", help="reference picture to steer toward (an image prompt)")
    what.add_argument("--image-weight", type=float, default=1.0, help="weight of --image with CLIP (default 1)")
    what.add_argument("--moodboard", type=Path, help="TOML list of styles to train; writes moodboard.html")
    what.add_argument("--ray", metavar="ADDRESS", help="run mood-board jobs on this Ray cluster")

    clip = parser.add_argument_group("guidance")
    clip.add_argument("--clip-model", default="RN50", help="open_clip architecture (default RN50)")
    clip.add_argument("--pretrained", default="openai",
                      help="open_clip pretrained tag, a checkpoint path, or 'none' (random weights) "
                           "(default openai)")
    clip.add_argument("--clip-config", help="open_clip model-config JSON adding an architecture")
    clip.add_argument("--no-clip", action="store_true",
                      help="no CLIP: match --image's textures (random-filter Gram matrices), colours and spectrum; also used when CLIP weights are missing")
    clip.add_argument("--cutouts", type=int, default=8, help="CLIP cutouts per state (default 8)")
    clip.add_argument("--band-weight", type=float, default=0.3,
                      help="weight of the spatial-frequency term without CLIP (default 0.3)")

    recipe = parser.add_argument_group("recipe")
    recipe.add_argument("--steps", type=int, default=default.steps,
                        help=f"optimisation steps (default {default.steps})")
    recipe.add_argument("--sizes", type=_sizes, default=default.sizes,
                        help="training resolutions, steps split evenly "
                             f"(default {','.join(map(str, default.sizes))})")
    recipe.add_argument("--lr", type=float, default=default.lr,
                        help=f"Adam learning rate (default {default.lr:g})")
    recipe.add_argument("--warmup", type=int, default=default.warmup,
                        help=f"steps over which the learning rate ramps up (default {default.warmup})")
    recipe.add_argument("--states", type=int, default=default.states,
                        help=f"conditioning states rendered per step (default {default.states})")
    recipe.add_argument("--seed", type=int, default=default.seed,
                        help=f"random seed of the initial network (default {default.seed})")
    recipe.add_argument("--width", type=int, default=default.width,
                        help=f"CPPN hidden layer width (default {default.width})")
    recipe.add_argument("--depth", type=int, default=default.depth,
                        help=f"CPPN hidden layers (default {default.depth})")
    recipe.add_argument("--frequency", type=float, default=default.frequency,
                        help=f"sine frequency (default {default.frequency:g})")
    recipe.add_argument("--coord-scale", type=_scales, default=default.coord_scale,
                        help="initial scale of layer 1's x,y,r weights: 1.5 or 0.3,0.3,3 (rings) "
                             f"(default {','.join(f'{v:g}' for v in default.coord_scale)})")
    recipe.add_argument("--out-scale", type=float, default=default.out_scale,
                        help="initial scale of the output layer (crisper, more saturated colour) "
                             f"(default {default.out_scale:g})")
    recipe.add_argument("--responsive", type=float, default=default.responsive,
                        help=f"weight of the term that makes audio states differ (default {default.responsive:g})")
    recipe.add_argument("--contrast-target", type=float, default=default.contrast_target,
                        help="mean pixel difference between states that satisfies --responsive "
                             f"(default {default.contrast_target:g})")
    recipe.add_argument("--pan", type=float, default=default.pan,
                        help="random window shift in x and y (0.78 trains the sides of 16:9) "
                             f"(default {default.pan:g})")

    run = parser.add_argument_group("run")
    run.add_argument("--out", type=Path, default=Path("styles"), help="styles folder (default styles)")
    run.add_argument("--resume", action="store_true", help="continue from the saved checkpoint")
    run.add_argument("--checkpoint-every", type=int, default=50, metavar="STEPS",
                     help="save a checkpoint every this many steps (default 50)")
    run.add_argument("--device", default="auto",
                     help="auto (CUDA, then MPS, then CPU), cpu, cuda or mps (default auto)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")


def job_from_args(args: argparse.Namespace):
    """The TrainJob the options describe (prompt file, name and recipe resolved)."""
    from vjengine.styles.store import check_slug, slugify
    from vjengine.train.cutouts import CutoutSpec
    from vjengine.train.job import TrainJob
    from vjengine.train.prompts import read_prompt_file
    from vjengine.train.recipe import Recipe

    prompt = args.prompt
    if args.prompt_file:
        if prompt:
            raise InputError("give the prompt either as an argument or with --prompt-file, not both")
        prompt = read_prompt_file(args.prompt_file)
    if not prompt and not args.image:
        raise InputError("nothing to train toward: give a PROMPT, --prompt-file, --image or --moodboard")
    if args.cutouts < 1 or args.checkpoint_every < 1:
        raise InputError("--cutouts and --checkpoint-every must be >= 1")
    slug = check_slug(args.name) if args.name else slugify(prompt.split("|")[0] or Path(args.image).stem)
    recipe = Recipe(steps=args.steps, sizes=args.sizes, lr=args.lr, states=args.states, seed=args.seed,
                    width=args.width, depth=args.depth, frequency=args.frequency,
                    coord_scale=args.coord_scale, out_scale=args.out_scale, responsive=args.responsive,
                    contrast_target=args.contrast_target, pan=args.pan,
                    warmup=args.warmup)
    title = getattr(args, "title", None) or args.name or slug
    return TrainJob(slug=slug, title=title, prompt=prompt, negative=args.negative, image=args.image,
                    image_weight=args.image_weight, use_clip=not args.no_clip,
                    clip_model=args.clip_model, pretrained=args.pretrained,
                    clip_config=args.clip_config, recipe=recipe,
                    cutouts=CutoutSpec(count=args.cutouts), band_weight=args.band_weight,
                    out=str(args.out), resume=args.resume, checkpoint_every=args.checkpoint_every,
                    device=args.device)


def run(args: argparse.Namespace) -> int:
    """Train one style, or every style of a mood board; returns the exit code."""
    from vjengine.train.progress import progress_bar

    if args.moodboard:
        from vjengine.train.job import run_job
        from vjengine.train.moodboard import read_moodboard, run_moodboard

        if args.prompt or args.prompt_file or args.image or args.name:
            raise InputError("--moodboard takes names and prompts from the file; give no PROMPT, "
                             "--prompt-file, --image or --name")
        jobs = [job_from_args(argparse.Namespace(**{**vars(args), **entry}))
                for entry in read_moodboard(args.moodboard)]

        def run_local(job):
            with progress_bar(job.slug, job.recipe.steps, enabled=not args.no_progress) as on_step:
                return run_job(job, on_step)

        sheet = run_moodboard(jobs, args.out, ray_address=args.ray, run_local=run_local)
        print(f"wrote {sheet}")
        return 0
    if args.ray:
        raise InputError("--ray runs mood-board jobs; use it with --moodboard")
    from vjengine.train.job import run_job

    job = job_from_args(args)
    with progress_bar(job.slug, job.recipe.steps, enabled=not args.no_progress) as on_step:
        summary = run_job(job, on_step)
    print(f"{summary.folder}: {summary.method} score {summary.score:.4f}, "
          f"responsiveness {summary.responsiveness:.3f}, {summary.seconds:.0f} s")
    return 0
