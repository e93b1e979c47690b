"""The ``theanine`` command end to end, on a small synthetic dataset in an .npz file."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from theanine import cli
from theanine.train import trainer as trainer_module

from nn_helpers import blobs

PNGS = ("learning_curves.png", "filters.png", "confusion_matrix.png", "misclassified.png")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    x, y = blobs(500, n_in=784, n_classes=10, seed=1, noise=0.5)
    x = (x - x.min()) / (x.max() - x.min())          # pixels in [0, 1] like MNIST
    path = str(tmp_path_factory.mktemp("data") / "tiny.npz")
    np.savez(path, train_x=x[:300], train_y=y[:300], valid_x=x[300:400], valid_y=y[300:400],
             test_x=x[400:], test_y=y[400:])
    return path


@pytest.fixture(scope="module")
def logreg_run(dataset, tmp_path_factory):
    run = str(tmp_path_factory.mktemp("runs") / "logreg")
    status = cli.main(["train", "logreg", "--dataset", dataset, "--epochs", "3",
                       "--batch-size", "50", "--out", run, "--quiet", "--seed", "1"])
    assert status == 0
    return run


def test_train_writes_the_run_folder(logreg_run, capsys):
    names = set(os.listdir(logreg_run))
    expected = {"config.json", "metrics.jsonl", "metrics.csv", "checkpoint.safetensors",
                "model.safetensors", *PNGS}
    assert expected <= names
    records = [json.loads(line) for line in open(os.path.join(logreg_run, "metrics.jsonl"))]
    assert [r["epoch"] for r in records] == [1, 2, 3]
    header = open(os.path.join(logreg_run, "metrics.csv")).readline().strip().split(",")
    assert header[:4] == ["epoch", "iteration", "train_loss", "train_error"]
    config = json.load(open(os.path.join(logreg_run, "config.json")))
    assert config["model"] == "logreg" and config["settings"]["lr"] == 0.13


def test_eval_predict_plot(logreg_run, dataset, tmp_path, capsys):
    assert cli.main(["eval", logreg_run]) == 0
    out = capsys.readouterr().out
    assert "test  error" in out and "valid error" in out
    digit = np.load(dataset)["test_x"][0].reshape(28, 28)
    np.save(tmp_path / "digit.npy", digit)
    from PIL import Image
    Image.fromarray((255 - digit * 255).astype("uint8")).save(tmp_path / "digit.png")
    assert cli.main(["predict", logreg_run, str(tmp_path / "digit.npy"),
                     str(tmp_path / "digit.png")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and all("class" in line and "probability" in line for line in lines)
    for name in PNGS:
        os.remove(os.path.join(logreg_run, name))
    assert cli.main(["plot", logreg_run]) == 0
    assert all(os.path.exists(os.path.join(logreg_run, name)) for name in PNGS)


@pytest.mark.parametrize("model,extra", [
    ("mlp", ["--hidden", "20", "--batch-size", "20", "--l2", "0.001"]),
    ("twolayer", ["--hidden", "20", "--iterations", "30", "--optimizer", "adam",
                  "--lr", "0.01"])])
def test_other_models_train(model, extra, dataset, tmp_path, capsys):
    run = str(tmp_path / model)
    assert cli.main(["train", model, "--dataset", dataset, "--epochs", "2", "--out", run,
                     "--quiet", "--no-plots", "--subset", "200"] + extra) == 0
    out = capsys.readouterr().out
    assert "Optimization complete" in out and "epoch   1/2" in out
    assert os.path.exists(os.path.join(run, "model.safetensors"))


def test_train_profile_prints_where_the_steps_spent_their_time(dataset, tmp_path, capsys):
    run = str(tmp_path / "profiled")
    assert cli.main(["train", "logreg", "--dataset", dataset, "--epochs", "1", "--out", run,
                     "--quiet", "--no-plots", "--batch-size", "50", "--profile"]) == 0
    out = capsys.readouterr().out
    assert "Optimization complete" in out
    assert "Function profile: train_model" in out and "Function profile: validate_model" in out
    assert "6 calls" in out and "Gemm" in out        # 300 examples, batches of 50
    from theanine import config
    assert config.profile is False                    # only for the command


def test_lenet_trains_when_conv_exists(dataset, tmp_path):
    import theanine.tensor as T
    if getattr(T.nnet, "conv2d", None) is None:
        pytest.skip("T.nnet.conv2d not built yet")
    run = str(tmp_path / "lenet")
    assert cli.main(["train", "lenet", "--dataset", dataset, "--epochs", "1", "--out", run,
                     "--quiet", "--no-plots", "--nkerns", "2,3", "--hidden", "8",
                     "--batch-size", "50"]) == 0


def test_ctrl_c_saves_and_resume_finishes(dataset, tmp_path, monkeypatch, capsys):
    run = str(tmp_path / "interrupted")
    original = trainer_module.Trainer._end_epoch

    def interrupt_after_epoch_1(self):
        original(self)
        if self.loop["epoch"] == 1:
            raise KeyboardInterrupt
    monkeypatch.setattr(trainer_module.Trainer, "_end_epoch", interrupt_after_epoch_1)
    args = ["train", "logreg", "--dataset", dataset, "--epochs", "3", "--batch-size", "50",
            "--out", run, "--quiet", "--no-plots"]
    assert cli.main(args) == 130
    err = capsys.readouterr().err
    assert "--resume" in err and "checkpoint" in err
    monkeypatch.setattr(trainer_module.Trainer, "_end_epoch", original)
    assert cli.main(args + ["--resume"]) == 0
    lines = open(os.path.join(run, "metrics.jsonl")).read().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3]


@pytest.mark.parametrize("argv,status,needle", [
    (["train", "resnet"], 2, "unknown model 'resnet'"),
    (["train", "logreg", "--lr", "-1"], 2, "--lr must be positive"),
    (["train", "logreg", "--optimizer", "lbfgs"], 2, "unknown optimizer"),
    (["train", "logreg", "--dataset", "/nonexistent/data.npz"], 1, "no such data file"),
    (["eval", "/nonexistent/run"], 1, "not a run folder"),
    (["gradcheck", "resnet"], 2, "unknown model"),
])
def test_user_errors_are_one_line(argv, status, needle, capsys):
    assert cli.main(argv) == status
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and err[0].startswith("theanine: error:")


def test_unreadable_checkpoint_is_one_line(logreg_run, tmp_path, capsys):
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json",):
        (broken / name).write_text(open(os.path.join(logreg_run, name)).read())
    (broken / "model.safetensors").write_bytes(b"garbage")
    assert cli.main(["eval", str(broken)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot read" in err[0]


def test_gradcheck_prints_the_books_table(capsys):
    assert cli.main(["gradcheck", "twolayer", "--max-elements", "20"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "float64" in lines[0]
    rows = {line.split()[0]: float(line.split()[1]) for line in lines[1:]}
    assert sorted(rows) == ["W1", "W2", "b1", "b2"] and max(rows.values()) < 1e-6


def test_info_lists_versions_blas_and_data(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "numpy" in out and "BLAS" in out and "data" in out


def test_run_forwards_to_the_compat_runner(tmp_path, capsys):
    script = tmp_path / "hello.py"
    script.write_text("import sys\nprint('hello', sys.argv[1])\nsys.exit(4)\n")
    assert cli.main(["run", str(script), "world"]) == 4
    assert "hello world" in capsys.readouterr().out


def test_bench_missing_gives_one_clear_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "bench", None)
    assert cli.main(["bench", "--smoke"]) == 1
    assert "benchmarks" in capsys.readouterr().err


def test_console_script_entry_point():
    result = subprocess.run([sys.executable, "-m", "theanine.cli", "train", "nope"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == ("theanine: error: unknown model 'nope'; choose one of "
                                     "logreg, mlp, lenet, twolayer")
