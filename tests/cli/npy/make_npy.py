#!/usr/bin/python3
"""Writes the .npy files of tests/cli/ok_npy_*.case and err_npy_*.case: the
dtypes and orders losscalc reads, and two it refuses. Run once here with
/usr/bin/python3 (numpy 1.24 and torch 1.13, Debian's); it prints torch's
values, which the cases hold."""
import numpy as np
import torch
import torch.nn.functional as F

x = np.array([[0.1, 0.2, 0.3, 0.4], [0.1, 0.1, 0.1, 0.1]])
np.save("logits_f16.npy", x.astype(np.float16))
np.save("logits_fortran.npy", np.asfortranarray(x))
np.save("labels_u8.npy", np.array([2, 3], dtype=np.uint8))
np.save("labels_i8.npy", np.array([2, 3], dtype=np.int8))
np.save("labels_i16.npy", np.array([2, 3], dtype=np.int16))
np.save("mask_bool.npy", np.array([[True, False], [False, True]]))
rng = np.random.default_rng(0)
np.save("seg_logits.npy", rng.standard_normal((2, 3, 2, 2)))  # (N, C, H, W)
np.save("seg_labels.npy", rng.integers(0, 3, (2, 2, 2)))       # (N, H, W)
np.save("big_endian.npy", x.astype(">f8"))
np.save("complex.npy", x.astype(np.complex64))
print("float16 logits:", F.cross_entropy(torch.tensor(x.astype(np.float16).astype(np.float64)), torch.tensor([2, 3])).item())
print("fortran logits:", F.cross_entropy(torch.tensor(x), torch.tensor([2, 3])).item())
print("(N, C, H, W):", F.cross_entropy(torch.tensor(np.load("seg_logits.npy")), torch.tensor(np.load("seg_labels.npy"))).item())
print("bool target:", F.binary_cross_entropy(torch.tensor([[0.9, 0.2], [0.3, 0.6]], dtype=torch.float64),
                                            torch.tensor(np.load("mask_bool.npy").astype(np.float64))).item())
