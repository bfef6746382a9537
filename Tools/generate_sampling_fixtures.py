#!/usr/bin/env python3
"""Rows chosen by ms-swift's `dataset#N` sampling, for SwiftTune's DatasetSource / NumPyRandomState tests.

    /work/venv-sched/bin/python Tools/generate_sampling_fixtures.py

Needs only NumPy. Writes Tests/SwiftTuneCoreTests/Fixtures/datasets/sampling.json:
- "permutations": `np.random.RandomState(seed).permutation(n)`, several calls in a row on one state;
- "samples": the row indices of ms-swift's `sample_dataset` (swift/dataset/utils.py, copied below as `sample_dataset`
  with the HF dataset replaced by its length) for a list of files sharing one `np.random.RandomState(seed)`, as
  ms-swift's `load_dataset` shares it across `--dataset a.jsonl#N b.jsonl#M`.
"""
import json
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/SwiftTuneCoreTests/Fixtures/datasets/sampling.json"


def sample_dataset(length, dataset_sample, shuffle, random_state):
    """ms-swift's sample_dataset (shuffle_all=False), returning the selected indices."""
    if dataset_sample is None:
        return list(range(length))
    n_repeat_sample = dataset_sample // length
    n_remain_sample = dataset_sample % length
    idx = np.tile(range(length), n_repeat_sample)
    if n_remain_sample >= 1:
        if shuffle:
            idx_remain = random_state.permutation(length)[:n_remain_sample]
        else:
            idx_remain = np.arange(n_remain_sample)
        idx = np.concatenate([idx, idx_remain])
    return [int(i) for i in idx]


def main():
    permutations = []
    for seed, sizes in [(42, [5, 10, 1, 33]), (0, [12]), (7, [40, 3]), (4294967295, [100])]:
        rs = np.random.RandomState(seed)
        permutations.append({"seed": seed, "sizes": sizes, "results": [[int(i) for i in rs.permutation(n)] for n in sizes]})
    samples = []
    for seed, shuffle, files in [
        (42, True, [[10, 4]]),
        (42, True, [[10, 25]]),
        (42, True, [[7, 3], [5, 12], [9, None], [6, 6], [8, 5]]),
        (3, False, [[10, 4], [4, 9]]),
        (1234, True, [[1000, 37]]),
    ]:
        rs = np.random.RandomState(seed)
        results = [sample_dataset(n, k, shuffle, rs) for n, k in files]
        samples.append({"seed": seed, "shuffle": shuffle, "files": [{"rows": n, "sample": k} for n, k in files],
                        "results": results})
    data = {"format": "swifttune-sampling-fixture", "version": 1, "generator": "Tools/generate_sampling_fixtures.py",
            "numpy": np.__version__, "permutations": permutations, "samples": samples}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
