"""Write the shipped model's layer facts and default filter patterns beside it (pretrained/mnist_cnn.dashboard.json,
pretrained/mnist_cnn.filter_patterns.npz), so that a fresh dashboard's first page needs no TensorFlow and the
Filters page no optimization. Run it after retraining the shipped model:

    python scripts/make_dashboard_facts.py

Both files store the model file's SHA-256; the dashboard ignores them when the model file changes.
"""

import cnnviz
from cnnviz.dashboard import layer_facts, shipped_patterns

if __name__ == "__main__":
    model_file = layer_facts.shipped_model_file()
    model = cnnviz.load_model(str(model_file))
    print("wrote", layer_facts.write(model_file, model))
    print("wrote", shipped_patterns.write(model_file, model))
