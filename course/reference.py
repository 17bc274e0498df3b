"""The lesson's reference code: the functions students write in the graded notebook.

The autograder builds its fixtures from these (so each part is graded on its own), the book's later
chapters load the model ``trained_model()`` caches, and a test keeps the solution notebook's
function bodies identical to these.
"""

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from fashion_mnist_student.classes import CLASS_NAMES

CACHE = Path(os.environ.get("COURSE_CACHE", Path(__file__).resolve().parents[1] / "_build" / "cache"))


def preprocess_images(images):
    return images / 255.0


def build_model():
    from tensorflow import keras
    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation='relu'),
        keras.layers.Dense(10)
    ])
    return model


def compile_model(model):
    from tensorflow import keras
    model.compile(optimizer='adam',
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=['accuracy'])
    return model


def train_model(model, images, labels, epochs=10):
    return model.fit(images, labels, epochs=epochs)


def make_probability_model(model):
    from tensorflow import keras
    return keras.Sequential([model, keras.layers.Softmax()])


def trained_model(seed=0, epochs=10, verbose=0):
    """The tutorial model trained on the full training set, cached on disk after the first call."""
    import keras
    path = CACHE / f"fashion_mnist_seed{seed}_e{epochs}.keras"
    if path.exists():
        return keras.models.load_model(path)
    from .data import load_data
    keras.utils.set_random_seed(seed)
    (train_images, train_labels), _ = load_data()
    model = compile_model(build_model())
    model.fit(preprocess_images(train_images), train_labels, epochs=epochs, verbose=verbose)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.keras")
    model.save(partial)
    partial.replace(path)
    return model


def plot_image(i, predictions_array, true_label, img, class_names=None):
    """The tutorial's helper; ``class_names`` defaults to English."""
    import matplotlib.pyplot as plt
    class_names = class_names or CLASS_NAMES["en"]
    true_label, img = true_label[i], img[i]
    plt.grid(False)
    plt.xticks([])
    plt.yticks([])
    plt.imshow(img, cmap=plt.cm.binary)
    predicted_label = np.argmax(predictions_array)
    color = 'blue' if predicted_label == true_label else 'red'
    plt.xlabel("{} {:2.0f}% ({})".format(class_names[predicted_label],
                                         100 * np.max(predictions_array),
                                         class_names[true_label]),
               color=color)


def plot_value_array(i, predictions_array, true_label):
    import matplotlib.pyplot as plt
    true_label = true_label[i]
    plt.grid(False)
    plt.xticks(range(10))
    plt.yticks([])
    thisplot = plt.bar(range(10), predictions_array, color="#777777")
    plt.ylim([0, 1])
    predicted_label = np.argmax(predictions_array)
    thisplot[predicted_label].set_color('red')
    thisplot[true_label].set_color('blue')


# The shapes of build_model()'s weights, in get_weights() order (a test keeps them equal)
WEIGHT_SHAPES = [(784, 128), (128,), (128, 10), (10,)]


@lru_cache(maxsize=1)
def _scaled_test_set():
    """Read, checked and scaled once per process: the grader measures one model per submission."""
    from .data import load_data
    _, (test_images, test_labels) = load_data()
    images = preprocess_images(test_images).astype(np.float32)  # what Keras computes in
    images.setflags(write=False)
    return images, test_labels


def logits_from_weights(weights, images):
    """build_model()'s forward pass in NumPy: Flatten, Dense(128, relu), Dense(10).

    The grader measures every submission's handed-over weights with it, without importing
    TensorFlow (about 3 s a submission in the one gradebook writer); a test keeps it equal to the
    Keras model's predictions."""
    kernel1, bias1, kernel2, bias2 = (np.asarray(w, dtype=np.float32) for w in weights)
    hidden = np.maximum(images.reshape(len(images), -1) @ kernel1 + bias1, 0)
    return hidden @ kernel2 + bias2


def accuracy_of_weights(weights):
    """Accuracy on the 10,000 test images of build_model() carrying ``weights``."""
    test_images, test_labels = _scaled_test_set()
    logits = logits_from_weights(weights, test_images)
    return float(np.mean(np.argmax(logits, axis=1) == test_labels))


def accuracy_on_test_set(model):
    """Accuracy on the 10,000 test images, from predictions and labels loaded here."""
    test_images, test_labels = _scaled_test_set()
    logits = model.predict(test_images, verbose=0)
    return float(np.mean(np.argmax(logits, axis=1) == test_labels))
