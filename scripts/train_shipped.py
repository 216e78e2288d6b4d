"""Train the model shipped in pretrained/ (reference architecture, "augmented" recipe).

Usage: python scripts/train_shipped.py [path/to/mnist.npz] [output.keras]

Also rewrites the dashboard's files beside the shipped model (scripts/make_dashboard_facts.py does only that).

Without a path, MNIST is found as cnnviz.load_mnist finds it: $CNNVIZ_MNIST, Keras' cache, the download.
"""

import sys
from pathlib import Path

import cnnviz
from cnnviz.dashboard import layer_facts, shipped_patterns

OUT = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parents[1] / "pretrained" / "mnist_cnn.keras"

if __name__ == "__main__":
    data = sys.argv[1] if len(sys.argv) > 1 else None
    result = cnnviz.train(data, recipe="augmented", seed=7, output=OUT, verbose=2)
    print(f"test accuracy {result.test_accuracy:.4f}, loss {result.test_loss:.4f}, {result.seconds:.0f} s -> {OUT}")
    if OUT.resolve() == layer_facts.shipped_model_file().resolve():  # the dashboard's first page reads them
        print("wrote", layer_facts.write(OUT, cnnviz.load_model(str(OUT))))
        print("wrote", shipped_patterns.write(OUT, cnnviz.load_model(str(OUT))))
