"""Write the shipped model's layer facts beside it (pretrained/mnist_cnn.dashboard.json), so that a fresh
dashboard's first page needs no TensorFlow. Run it after retraining the shipped model:

    python scripts/make_dashboard_facts.py

The file stores the model file's SHA-256; the dashboard ignores it when the model file changes.
"""

import cnnviz
from cnnviz.dashboard import layer_facts

if __name__ == "__main__":
    model_file = layer_facts.shipped_model_file()
    print("wrote", layer_facts.write(model_file, cnnviz.load_model(str(model_file))))
