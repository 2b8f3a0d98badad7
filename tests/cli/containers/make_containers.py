#!/usr/bin/python3
"""Writes the .npz and safetensors files of tests/cli/*_container_*.case:
what numpy.savez / savez_compressed write, safetensors files written by hand
from the format's description (8-byte little-endian header length, a JSON
header padded with spaces, raw little-endian data; the safetensors package
is not in Debian), and damaged copies for the hostile cases. Run once here
with /usr/bin/python3 (numpy 1.24, torch 1.13, Debian's); it prints torch's
values, which the cases hold."""
import json
import struct
import zipfile

import numpy as np
import torch
import torch.nn.functional as F

x = np.array([[0.1, 0.2, 0.3, 0.4], [0.1, 0.1, 0.1, 0.1]], dtype=np.float32)
y = np.array([2, 3], dtype=np.int64)
np.savez("batch.npz", logits=x, labels=y)
np.savez_compressed("batch_compressed.npz", logits=x, labels=y)
np.savez("positional.npz", x, y)  # arr_0, arr_1
np.savez("one.npz", x)
rng = np.random.default_rng(1)
seg_x, seg_y = rng.standard_normal((2, 3, 2, 2)), rng.integers(0, 3, (2, 2, 2))
np.savez_compressed("seg.npz", preds=seg_x, target=seg_y)


def safetensors(path, arrays, metadata=None, patch=None):
    header, blobs, at = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in arrays.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    if patch:
        patch(header)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def bf16(a):  # float32 to bfloat16 bits, round to nearest even (as torch does)
    bits = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


batch = {"logits": ("F32", x.shape, x.tobytes()), "labels": ("I64", y.shape, y.tobytes())}
safetensors("batch.safetensors", batch, metadata={"format": "pt"})
safetensors("bf16.safetensors", {"logits": ("BF16", x.shape, bf16(x).tobytes())})
safetensors("f16.safetensors", {"logits": ("F16", x.shape, x.astype(np.float16).tobytes()),
                                 "mask": ("BOOL", (2, 2), np.array([[1, 0], [0, 1]], np.uint8).tobytes()),
                                 "labels": ("U8", (2,), y.astype(np.uint8).tobytes())})

# Hostile: offsets past the data, a size that does not match the shape, a
# header length past the file, 2^63 elements, an unknown dtype, not JSON.
safetensors("lying_offsets.safetensors", batch, patch=lambda h: h["logits"].update(data_offsets=[0, 1 << 40]))
safetensors("wrong_size.safetensors", batch, patch=lambda h: h["logits"].update(shape=[2, 5]))
safetensors("huge_shape.safetensors", batch, patch=lambda h: h["logits"].update(shape=[1 << 32, 1 << 31]))
safetensors("f8.safetensors", batch, patch=lambda h: h["logits"].update(dtype="F8_E4M3"))
with open("batch.safetensors", "rb") as f:
    whole = f.read()
with open("header_past_end.safetensors", "wb") as f:
    f.write(struct.pack("<Q", 1 << 20) + whole[8:])
with open("header_not_json.safetensors", "wb") as f:
    f.write(struct.pack("<Q", 16) + b"{\"logits\": [1, 2" + whole[24:])

# Hostile zips: truncated, a corrupt checksum, a bzip2 member, a member that
# is not a .npy, and two zip bombs: a member that claims 2^40 bytes from a
# few compressed ones, and one that inflates past the size it claims.
with open("batch_compressed.npz", "rb") as f:
    npz = f.read()
with open("truncated.npz", "wb") as f:
    f.write(npz[: len(npz) // 2])
with zipfile.ZipFile("bzip2.npz", "w", compression=zipfile.ZIP_BZIP2) as z:
    z.writestr("logits.npy", open("batch.npz", "rb").read()[:0] + b"\x93NUMPY")
with zipfile.ZipFile("not_npy.npz", "w") as z:
    z.writestr("logits.npy", b"\x93NUMPY\x01\x00\x00\x00")
    z.writestr("notes.txt", b"hello")


def patch_central(src, dst, edit):
    data = bytearray(src)
    at = data.find(b"PK\x01\x02")
    edit(data, at)
    with open(dst, "wb") as f:
        f.write(bytes(data))


with zipfile.ZipFile("zeros.npz", "w", compression=zipfile.ZIP_DEFLATED) as z:
    z.writestr("logits.npy", b"\x93NUMPY" + bytes(1 << 20))
zeros = open("zeros.npz", "rb").read()
patch_central(zeros, "bomb_claims.npz", lambda d, at: d.__setitem__(slice(at + 24, at + 28), struct.pack("<I", 0xFFFFFFF0)))
patch_central(zeros, "bomb_past_size.npz", lambda d, at: d.__setitem__(slice(at + 24, at + 28), struct.pack("<I", 4096)))
patch_central(npz, "bad_crc.npz", lambda d, at: d.__setitem__(slice(at + 16, at + 20), b"\0\0\0\0"))
import os
os.remove("zeros.npz")

print("batch:", F.cross_entropy(torch.tensor(x, dtype=torch.float64), torch.tensor(y)).item())
print("bf16:", F.cross_entropy(torch.tensor(x).bfloat16().double(), torch.tensor(y)).item())
print("f16:", F.cross_entropy(torch.tensor(x).half().double(), torch.tensor(y)).item())
print("seg:", F.cross_entropy(torch.tensor(seg_x), torch.tensor(seg_y)).item())

# torch.save files losscalc refuses: a pickle that calls os.system (in
# torch.save's zip layout; losscalc never runs it), the legacy format (a bare
# pickle), a TorchScript archive, and big-endian storages; and a checkpoint
# whose text and None entries are left out.
import io
import pickle


class Shell:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


with zipfile.ZipFile("calls_os_system.pt", "w") as z:
    z.writestr("calls_os_system/data.pkl", pickle.dumps(Shell(), protocol=2))
    z.writestr("calls_os_system/version", "3\n")
torch.save(torch.tensor([1.0, 2.0]), "legacy.pt", _use_new_zipfile_serialization=False)
torch.jit.save(torch.jit.script(torch.nn.Identity()), "torchscript.pt")
buf = io.BytesIO()
torch.save({"logits": torch.tensor(x), "labels": torch.tensor(y)}, buf)
with zipfile.ZipFile(buf) as src, zipfile.ZipFile("big_endian.pt", "w") as dst:
    for info in src.infolist():
        data = src.read(info.filename)
        dst.writestr(info.filename, b"big" if info.filename.endswith("/byteorder") else data)
    if not any(i.filename.endswith("/byteorder") for i in src.infolist()):
        dst.writestr(src.infolist()[0].filename.split("/")[0] + "/byteorder", b"big")
torch.save({"epoch": 7, "arch": "linear", "note": None, "logits": torch.tensor(x), "labels": torch.tensor(y)}, "checkpoint.pt")
print("checkpoint:", F.cross_entropy(torch.tensor(x, dtype=torch.float64), torch.tensor(y)).item())
