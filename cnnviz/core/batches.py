"""How many images one forward call takes where cnnviz scores many images itself (a class's best real examples,
the data prior's candidate starts, real images for "reached").

oneDNN keeps memory in proportion to the batch for every thread that ran one at the same time, for the life of
the process: the shipped model on the 1,000 sample digits from four threads at once kept +215 MiB at 256 images
per call, +72 at 64, +41 at 32 (one thread alone: 0.105 / 0.183 / 0.262 s); the shipped decoder on 256 data-prior
starts at once kept 128 MiB, 32 at a time 14 MiB, with the same scores. A dashboard serving several sessions
runs such calls side by side, so cnnviz takes small batches (2 vCPU with AVX-512 and AMX; ``bench/loop_memory.py``).

>>> FORWARD_BATCH
32
"""

#: images per forward call in cnnviz's own scoring loops (see the module docstring)
FORWARD_BATCH = 32
