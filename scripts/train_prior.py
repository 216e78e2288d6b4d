"""Train the data prior shipped in pretrained/: a small variational autoencoder (VAE) of MNIST digits.

    python scripts/train_prior.py --data PATH/mnist.npz [--epochs 12] [--latent 12] [--out pretrained/]

Only the decoder ships (``mnist_vae_decoder.keras``, latent -> 28x28 image in [0, 1]) with its card
(``mnist_vae_decoder.card.json``: data, epochs, seconds, losses). ``cnnviz.maximize(6, prior="data")``
optimizes a latent vector through this decoder, so its images stay on the manifold of handwritten digits.

Why a VAE and not a GAN: it trains in minutes on 2 CPU cores with one stable loss (no adversarial
balance to tune), its latent space is a standard normal by construction (so "stay near the prior" is
a plain penalty on |z|^2), and every region of that space decodes to something digit-like (its
encoder had to cover the whole training set, no mode collapse). Its images are a little blurrier
than a GAN's; for "what does a natural digit that the model calls a 6 look like" that is the right trade.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

import cnnviz

ROOT = Path(__file__).resolve().parents[1]


def encoder(latent: int) -> keras.Model:
    x = keras.Input((28, 28, 1))
    h = keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(x)
    h = keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(128, activation="relu")(h)
    return keras.Model(x, [keras.layers.Dense(latent)(h), keras.layers.Dense(latent)(h)], name="encoder")


def decoder(latent: int) -> keras.Model:
    z = keras.Input((latent,), name="latent")
    h = keras.layers.Dense(128, activation="relu")(z)
    h = keras.layers.Dense(7 * 7 * 64, activation="relu")(h)
    h = keras.layers.Reshape((7, 7, 64))(h)
    h = keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(h)
    out = keras.layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid", name="image")(h)
    return keras.Model(z, out, name="mnist_vae_decoder")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="mnist.npz (else CNNVIZ_MNIST, Keras' cache or a download)")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--latent", type=int, default=12)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "pretrained"))
    args = parser.parse_args()

    mnist = cnnviz.load_mnist(args.data)
    x_train = (mnist.x_train.astype("float32") / 255.0)[..., None]
    x_test = (mnist.x_test.astype("float32") / 255.0)[..., None]
    keras.utils.set_random_seed(args.seed)  # a script, not a library call: process-wide seeding is fine here
    enc, dec = encoder(args.latent), decoder(args.latent)
    optimizer = keras.optimizers.Adam(1e-3)
    variables = enc.trainable_variables + dec.trainable_variables

    def losses(x, eps):
        mean, logvar = enc(x, training=True)
        z = mean + tf.exp(0.5 * logvar) * eps
        recon = dec(z, training=True)
        bce = -tf.reduce_sum(x * tf.math.log(recon + 1e-6) + (1 - x) * tf.math.log(1 - recon + 1e-6), axis=(1, 2, 3))
        kl = -0.5 * tf.reduce_sum(1 + logvar - tf.square(mean) - tf.exp(logvar), axis=1)
        return tf.reduce_mean(bce), tf.reduce_mean(kl)

    @tf.function
    def step(x, eps):
        with tf.GradientTape() as tape:
            bce, kl = losses(x, eps)
            loss = bce + kl
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return bce, kl

    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    history = []
    for epoch in range(args.epochs):
        order = rng.permutation(len(x_train))
        totals = np.zeros(2)
        batches = 0
        for i in range(0, len(order) - args.batch + 1, args.batch):
            eps = rng.standard_normal((args.batch, args.latent)).astype("float32")
            totals += np.array([float(v) for v in step(x_train[order[i:i + args.batch]], eps)])
            batches += 1
        bce, kl = totals / batches
        history.append({"epoch": epoch + 1, "bce": round(bce, 2), "kl": round(kl, 2)})
        print(f"epoch {epoch + 1}/{args.epochs}: reconstruction {bce:.1f}, KL {kl:.1f} "
              f"({time.perf_counter() - started:.0f} s)", flush=True)
    seconds = time.perf_counter() - started
    eps = rng.standard_normal((len(x_test), args.latent)).astype("float32")
    test_bce, test_kl = (float(v) for v in losses(tf.constant(x_test), tf.constant(eps)))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "mnist_vae_decoder.keras"
    dec.save(path)
    card = {
        "model": "mnist_vae_decoder",
        "kind": "decoder of a variational autoencoder (data prior for cnnviz.maximize(prior='data'))",
        "latent_dim": args.latent,
        "prior": "standard normal N(0, I) over the latent",
        "output": "28x28x1 image in [0, 1] (sigmoid)",
        "parameters": int(dec.count_params()),
        "trained_by": "scripts/train_prior.py",
        "data": {"source": Path(args.data).name if args.data else "load_mnist()", "train_images": len(x_train),
                 "test_images": len(x_test)},
        "settings": {"epochs": args.epochs, "batch_size": args.batch, "learning_rate": 1e-3, "seed": args.seed,
                     "loss": "binary cross-entropy summed over pixels + KL(q(z|x) || N(0, I))"},
        "seconds": round(seconds, 1),
        "test_loss": {"reconstruction_bce": round(test_bce, 2), "kl": round(test_kl, 2)},
        "history": history,
        "machine": {"platform": platform.platform(), "processor": platform.machine()},
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (out / "mnist_vae_decoder.card.json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"{seconds:.0f} s; test reconstruction {test_bce:.1f}, KL {test_kl:.1f} -> {path} "
          f"({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
