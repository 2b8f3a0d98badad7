#!/usr/bin/python3
"""Writes the torch.save fixtures: tests/cli/pt/NAME.pt with NAME.json (what
torch.load reads back: each array's key, shape and values, flat, row-major),
and for the unit test, which has no zip reader, tests/read/pt_fixtures/NAME.pkl
(the archive's data.pkl) and NAME.data.K (its storage K).

    /usr/bin/python3 tests/cli/pt/make_pt.py
"""
import collections
import json
import os
import zipfile

import torch

here = os.path.dirname(os.path.abspath(__file__))
unit = os.path.join(here, "..", "..", "read", "pt_fixtures")


def arrays(obj, key=""):
    """(key, tensor) pairs as losscalc names them."""
    def child(name):
        return name if key == "" else key + "." + name
    if isinstance(obj, torch.Tensor):
        return [(key, obj)]
    if isinstance(obj, (bool, int, float)):
        return [(key, torch.tensor(float(obj), dtype=torch.float64))]
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in arrays(v, child(str(k)))]
    if isinstance(obj, (list, tuple)):
        return [p for i, v in enumerate(obj) for p in arrays(v, child(str(i)))]
    raise TypeError(type(obj))


def save(name, obj):
    path = os.path.join(here, name + ".pt")
    torch.save(obj, path)
    back = torch.load(path)
    out = [{"key": k, "shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""),
            "values": t.detach().to(torch.float64).flatten().tolist()} for k, t in arrays(back)]
    with open(os.path.join(here, name + ".json"), "w") as f:
        json.dump({"arrays": out}, f, indent=1)
        f.write("\n")
    with zipfile.ZipFile(path) as z:
        for member in z.namelist():
            archive, _, rest = member.partition("/")
            if rest == "data.pkl":
                target = name + ".pkl"
            elif rest.startswith("data/"):
                target = name + ".data." + rest[len("data/"):]
            else:
                continue
            with open(os.path.join(unit, target), "wb") as f:
                f.write(z.read(member))


def main():
    os.makedirs(unit, exist_ok=True)
    for f in os.listdir(unit):
        os.remove(os.path.join(unit, f))
    torch.manual_seed(0)
    save("float32", torch.tensor([0.25, -1.5, 3.0, 1e-8, 65504.0]))
    save("float64_2d", torch.tensor([[1.0, 2.5, -3.0], [0.1, 1e300, -0.0]], dtype=torch.float64))
    save("bfloat16", torch.tensor([1.0, -2.5, 0.1, 3.0e38], dtype=torch.bfloat16))
    save("float16", torch.tensor([[1.0, -2.5], [0.1, 6.0e-8]], dtype=torch.float16))
    save("int64_labels", torch.tensor([0, 2, 1, -100, 9007199254740992]))
    save("bool", torch.tensor([True, False, True]))
    save("uint8", torch.tensor([0, 1, 255, 128], dtype=torch.uint8))
    save("int32_int16_int8", {"i32": torch.tensor([-2**31, 7], dtype=torch.int32),
                              "i16": torch.tensor([-32768, 32767], dtype=torch.int16),
                              "i8": torch.tensor([-128, 127], dtype=torch.int8)})
    x = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    save("transposed", x.t())
    save("slice", x[:, 1])
    save("slice_offset", x[1:, 2:])
    save("expanded", torch.tensor([[1.0], [2.0]]).expand(2, 3))
    save("scalar", torch.tensor(3.5))
    save("state_dict", torch.nn.Linear(3, 2).state_dict())
    save("dict", {"logits": torch.randn(2, 3), "labels": torch.tensor([2, 0])})
    save("nested", {"model": {"w": torch.ones(2), "b": torch.zeros(1)}, "epoch": 3, "lr": 0.5, "best": True})
    save("list", [torch.tensor([1.0, 2.0]), torch.tensor([[3, 4]]), (torch.tensor(5.0), 6)])
    save("parameter", torch.nn.Parameter(torch.tensor([[0.5, -0.5]])))
    save("ordered", collections.OrderedDict([("b", torch.tensor([1.0])), ("a", torch.tensor([2.0]))]))
    save("empty", torch.zeros(0, 3))
    save("requires_grad", torch.tensor([1.5, -2.0], requires_grad=True))
    bn = torch.nn.BatchNorm1d(2)
    bn(torch.tensor([[1.0, 2.0], [3.0, 5.0]]))
    save("batchnorm", bn.state_dict())  # num_batches_tracked: a 0-d int64
    y = torch.arange(6, dtype=torch.float64)
    save("shared_storage", {"whole": y, "tail": y[4:], "again": y})  # one storage, memo references


if __name__ == "__main__":
    main()
