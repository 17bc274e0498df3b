"""Hand-written solutions for the report tests' fake class: five students who wrote their own code,
two of them staying close to the tutorial (their shared part is the reference, not copying), and
one student (frank) who copied carol's, renamed every variable, rewrote the comments and put her
helper functions in a different order."""

STUB_HEADERS = {
    "preprocess_images": 'def preprocess_images(images):\n    """Return `images` (uint8, 0..255) as floats in [0, 1], with the same shape."""\n',
    "build_model": 'def build_model():\n    """Return the (uncompiled) model: Flatten 28x28 -> Dense(128, relu) -> Dense(10) logits."""\n',
    "compile_model": 'def compile_model(model):\n    """Compile `model` with adam, sparse categorical cross-entropy on logits and accuracy; return it."""\n',
    "train_model": 'def train_model(model, images, labels, epochs=10):\n    """Fit `model` for `epochs` epochs and return the History."""\n',
    "make_probability_model": 'def make_probability_model(model):\n    """Return `model` followed by a Softmax layer."""\n',
    "plot_image": 'def plot_image(i, predictions_array, true_label, img):\n    """Show img[i] with "predicted confidence% (true)" below it, blue if right, red if wrong."""\n',
    "plot_value_array": 'def plot_value_array(i, predictions_array, true_label):\n    """Bar chart of the 10 probabilities: predicted bar red, true bar blue."""\n',
}

# alice: the tutorial's code, nearly word for word
ALICE = {
    "preprocess_images": "    return images / 255.0\n",
    "build_model": ("    model = keras.Sequential([\n        keras.Input(shape=(28, 28)),\n"
                    "        keras.layers.Flatten(),\n        keras.layers.Dense(128, activation='relu'),\n"
                    "        keras.layers.Dense(10)\n    ])\n    return model\n"),
    "compile_model": ("    model.compile(optimizer='adam',\n"
                      "                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
                      "                  metrics=['accuracy'])\n    return model\n"),
    "train_model": "    return model.fit(images, labels, epochs=epochs)\n",
    "make_probability_model": "    return keras.Sequential([model, keras.layers.Softmax()])\n",
    "plot_image": ("    true_label, img = true_label[i], img[i]\n    plt.grid(False)\n    plt.xticks([])\n"
                   "    plt.yticks([])\n    plt.imshow(img, cmap=plt.cm.binary)\n"
                   "    predicted_label = np.argmax(predictions_array)\n"
                   "    color = 'blue' if predicted_label == true_label else 'red'\n"
                   "    plt.xlabel(\"{} {:2.0f}% ({})\".format(class_names[predicted_label],\n"
                   "               100*np.max(predictions_array), class_names[true_label]), color=color)\n"),
    "plot_value_array": ("    true_label = true_label[i]\n    plt.grid(False)\n    plt.xticks(range(10))\n"
                         "    plt.yticks([])\n    thisplot = plt.bar(range(10), predictions_array, color=\"#777777\")\n"
                         "    plt.ylim([0, 1])\n    predicted_label = np.argmax(predictions_array)\n"
                         "    thisplot[predicted_label].set_color('red')\n    thisplot[true_label].set_color('blue')\n"),
}

# bob: also close to the tutorial, in his own words here and there
BOB = {
    "preprocess_images": "    scaled = images / 255.0  # floats now\n    return scaled\n",
    "build_model": ("    return keras.Sequential([\n        keras.Input(shape=(28, 28)),\n"
                    "        keras.layers.Flatten(),\n        keras.layers.Dense(128, activation='relu'),\n"
                    "        keras.layers.Dense(10),\n    ])\n"),
    "compile_model": ("    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)\n"
                      "    model.compile(optimizer='adam', loss=loss, metrics=['accuracy'])\n    return model\n"),
    "train_model": "    history = model.fit(images, labels, epochs=epochs)\n    return history\n",
    "make_probability_model": "    return keras.Sequential([model, keras.layers.Softmax()])\n",
    "plot_image": ("    plt.grid(False)\n    plt.xticks([])\n    plt.yticks([])\n"
                   "    plt.imshow(img[i], cmap=plt.cm.binary)\n    guess = np.argmax(predictions_array)\n"
                   "    if guess == true_label[i]:\n        color = 'blue'\n    else:\n        color = 'red'\n"
                   "    plt.xlabel(f\"{class_names[guess]} {100*np.max(predictions_array):2.0f}% \"\n"
                   "               f\"({class_names[true_label[i]]})\", color=color)\n"),
    "plot_value_array": ("    plt.grid(False)\n    plt.xticks(range(10))\n    plt.yticks([])\n"
                         "    bars = plt.bar(range(10), predictions_array, color='#777777')\n"
                         "    plt.ylim([0, 1])\n    bars[np.argmax(predictions_array)].set_color('red')\n"
                         "    bars[true_label[i]].set_color('blue')\n"),
}

# carol: her own style, with helper functions inside the plotting cells
CAROL = {
    "preprocess_images": ("    # convert to float first so the division does not overflow\n"
                          "    as_float = np.asarray(images, dtype=np.float32)\n"
                          "    normalised = np.divide(as_float, np.float32(255))\n"
                          "    assert normalised.shape == images.shape\n    return normalised\n"),
    "build_model": ("    layers = [keras.layers.Flatten(), keras.layers.Dense(units=128, activation=tf.nn.relu),\n"
                    "              keras.layers.Dense(units=10)]\n"
                    "    net = keras.Sequential(name='carol_net')\n    net.add(keras.Input((28, 28)))\n"
                    "    for layer in layers:\n        net.add(layer)\n    return net\n"),
    "compile_model": ("    settings = dict(optimizer=keras.optimizers.Adam(),\n"
                      "                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
                      "                    metrics=[keras.metrics.SparseCategoricalAccuracy(name='accuracy')])\n"
                      "    model.compile(**settings)\n    return model\n"),
    "train_model": ("    fit_history = model.fit(x=images, y=labels, epochs=int(epochs), verbose=2, shuffle=True)\n"
                    "    assert len(fit_history.history['loss']) == epochs\n    return fit_history\n"),
    "make_probability_model": ("    wrapper = keras.Sequential(name='with_softmax')\n    wrapper.add(model)\n"
                               "    wrapper.add(keras.layers.Softmax(axis=-1))\n    return wrapper\n"),
    "plot_image": ("    def caption_for(probabilities, actual):\n"
                   "        best = int(np.argmax(probabilities))\n"
                   "        percent = round(float(np.max(probabilities)) * 100)\n"
                   "        return '%s %d%% (%s)' % (class_names[best], percent, class_names[actual]), best\n\n"
                   "    def colour_for(best, actual):\n"
                   "        return {True: 'blue', False: 'red'}[best == actual]\n\n"
                   "    def hide_axes():\n        plt.grid(False)\n        for ticks in (plt.xticks, plt.yticks):\n"
                   "            ticks([])\n\n"
                   "    hide_axes()\n    plt.imshow(img[i], cmap='binary')\n"
                   "    text, best = caption_for(predictions_array, true_label[i])\n"
                   "    plt.xlabel(text, color=colour_for(best, true_label[i]))\n"),
    "plot_value_array": ("    def paint(container, index, colour):\n        container.patches[index].set_facecolor(colour)\n\n"
                         "    def frame():\n        plt.grid(False)\n        plt.xticks(list(range(10)))\n"
                         "        plt.yticks([])\n        plt.ylim(0, 1)\n\n"
                         "    drawn = plt.bar(np.arange(10), np.asarray(predictions_array).ravel(), color='grey')\n"
                         "    frame()\n    paint(drawn, int(np.argmax(predictions_array)), 'red')\n"
                         "    paint(drawn, int(true_label[i]), 'blue')\n"),
}

# dave: terse, index arithmetic and plain loops
DAVE = {
    "preprocess_images": "    out = images.astype('float64')\n    out *= 1 / 255\n    return out\n",
    "build_model": ("    m = keras.models.Sequential()\n    m.add(keras.layers.Input(shape=(28, 28)))\n"
                    "    m.add(keras.layers.Reshape((784,)))\n    m.add(keras.layers.Dense(128))\n"
                    "    m.add(keras.layers.Activation('relu'))\n    m.add(keras.layers.Dense(10))\n    return m\n"),
    "compile_model": ("    m = model\n    m.compile('adam', keras.losses.SparseCategoricalCrossentropy(True), ['accuracy'])\n"
                      "    return m\n"),
    "train_model": ("    h = None\n    h = model.fit(images, labels, batch_size=32, epochs=epochs)\n    return h\n"),
    "make_probability_model": ("    inp = keras.Input(shape=(28, 28))\n    out = keras.layers.Softmax()(model(inp))\n"
                               "    return keras.Model(inp, out)\n"),
    "plot_image": ("    p = predictions_array\n    k = 0\n    for j in range(len(p)):\n"
                   "        if p[j] > p[k]:\n            k = j\n"
                   "    c = 'blue'\n    if k != true_label[i]:\n        c = 'red'\n"
                   "    plt.grid(False); plt.xticks([]); plt.yticks([])\n    plt.imshow(img[i], cmap=plt.cm.binary)\n"
                   "    plt.xlabel(class_names[k] + ' ' + str(int(round(100 * p[k]))) + '% ('\n"
                   "               + class_names[true_label[i]] + ')', color=c)\n"),
    "plot_value_array": ("    p = predictions_array\n    b = plt.bar(range(10), p, color='#777777')\n"
                         "    plt.grid(False); plt.xticks(range(10)); plt.yticks([]); plt.ylim([0, 1])\n"
                         "    k = max(range(10), key=lambda j: p[j])\n    b[k].set_color('red')\n"
                         "    b[true_label[i]].set_color('blue')\n"),
}

# erin: object-minded, everything through helper variables and dictionaries
ERIN = {
    "preprocess_images": ("    lo, hi = 0.0, 255.0\n    result = (images.copy() - lo) / (hi - lo)\n"
                          "    return result.astype(np.float32, copy=False)\n"),
    "build_model": ("    spec = [('flatten', {}), ('dense', {'units': 128, 'activation': 'relu'}),\n"
                    "            ('dense', {'units': 10})]\n"
                    "    make = {'flatten': keras.layers.Flatten, 'dense': keras.layers.Dense}\n"
                    "    inputs = keras.Input(shape=(28, 28))\n    x = inputs\n"
                    "    for kind, options in spec:\n        x = make[kind](**options)(x)\n"
                    "    return keras.Model(inputs=inputs, outputs=x)\n"),
    "compile_model": ("    chosen = {\n        'optimizer': 'adam',\n"
                      "        'loss': keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
                      "        'metrics': ['accuracy'],\n    }\n    model.compile(**chosen)\n    return model\n"),
    "train_model": ("    options = {'epochs': epochs, 'validation_split': 0.0}\n"
                    "    return model.fit(images, labels, **options)\n"),
    "make_probability_model": ("    layers_in_order = [model]\n    layers_in_order.append(keras.layers.Softmax())\n"
                               "    return keras.Sequential(layers_in_order)\n"),
    "plot_image": ("    picture = img[i]\n    answer = true_label[i]\n    ranking = np.argsort(predictions_array)[::-1]\n"
                   "    top = ranking[0]\n    confidence = predictions_array[top]\n"
                   "    ax = plt.gca()\n    ax.grid(False)\n    ax.set_xticks([])\n    ax.set_yticks([])\n"
                   "    ax.imshow(picture, cmap=plt.cm.binary)\n"
                   "    palette = {True: 'blue', False: 'red'}\n"
                   "    label = '{} {:.0f}% ({})'.format(class_names[top], confidence * 100, class_names[answer])\n"
                   "    ax.set_xlabel(label, color=palette[bool(top == answer)])\n"),
    "plot_value_array": ("    ax = plt.gca()\n    ax.grid(False)\n    ax.set_xticks(range(10))\n    ax.set_yticks([])\n"
                         "    colours = ['#777777'] * 10\n    colours[int(np.argmax(predictions_array))] = 'red'\n"
                         "    colours[int(true_label[i])] = 'blue'\n"
                         "    ax.bar(range(10), predictions_array, color=colours)\n    ax.set_ylim(0, 1)\n"),
}

# frank: carol's code, every name changed, new comments, helpers in another order, spaced out
FRANK = {
    "preprocess_images": ("    # make sure we work with floating point numbers\n"
                          "    pixels_f = np.asarray(images, dtype=np.float32)\n\n"
                          "    # scale 0..255 down to 0..1\n"
                          "    unit_range = np.divide(pixels_f, np.float32(255))\n"
                          "    assert unit_range.shape == images.shape   # same shape as before\n"
                          "    return unit_range\n"),
    "build_model": ("    # the three layers of the network\n"
                    "    stack = [keras.layers.Flatten(),\n             keras.layers.Dense(units=128, activation=tf.nn.relu),\n"
                    "             keras.layers.Dense(units=10)]\n"
                    "    mdl = keras.Sequential(name='frank_model')\n    mdl.add(keras.Input((28, 28)))\n"
                    "    for lyr in stack:\n        mdl.add(lyr)   # one at a time\n    return mdl\n"),
    "compile_model": ("    cfg = dict(optimizer=keras.optimizers.Adam(),\n"
                      "               loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
                      "               metrics=[keras.metrics.SparseCategoricalAccuracy(name='accuracy')])\n"
                      "    model.compile(**cfg)  # apply the settings\n    return model\n"),
    "train_model": ("    # train it\n"
                    "    hist = model.fit(x=images, y=labels, epochs=int(epochs), verbose=2, shuffle=True)\n"
                    "    assert len(hist.history['loss']) == epochs\n    return hist\n"),
    "make_probability_model": ("    outer = keras.Sequential(name='probabilities')\n    outer.add(model)\n"
                               "    outer.add(keras.layers.Softmax(axis=-1))   # turn logits into probabilities\n"
                               "    return outer\n"),
    "plot_image": ("    def no_ticks():\n        plt.grid(False)\n        for tick_fn in (plt.xticks, plt.yticks):\n"
                   "            tick_fn([])\n\n"
                   "    def pick_colour(winner, truth):\n"
                   "        return {True: 'blue', False: 'red'}[winner == truth]\n\n"
                   "    def make_label(probs, truth):\n"
                   "        winner = int(np.argmax(probs))\n"
                   "        pct = round(float(np.max(probs)) * 100)\n"
                   "        return '%s %d%% (%s)' % (class_names[winner], pct, class_names[truth]), winner\n\n"
                   "    no_ticks()\n    plt.imshow(img[i], cmap='binary')\n"
                   "    caption, winner = make_label(predictions_array, true_label[i])\n"
                   "    plt.xlabel(caption, color=pick_colour(winner, true_label[i]))\n"),
    "plot_value_array": ("    def setup_axes():\n        plt.grid(False)\n        plt.xticks(list(range(10)))\n"
                         "        plt.yticks([])\n        plt.ylim(0, 1)\n\n"
                         "    def colour_bar(bars, idx, c):\n        bars.patches[idx].set_facecolor(c)\n\n"
                         "    rects = plt.bar(np.arange(10), np.asarray(predictions_array).ravel(), color='grey')\n"
                         "    setup_axes()\n    colour_bar(rects, int(np.argmax(predictions_array)), 'red')\n"
                         "    colour_bar(rects, int(true_label[i]), 'blue')\n"),
}

# henry: wrote one line, which kills the kernel; the rest is the stub as released
HENRY = {"preprocess_images": "    import os\n    os._exit(1)\n"}

STUDENTS = {"alice": ALICE, "bob": BOB, "carol": CAROL, "dave": DAVE, "erin": ERIN, "frank": FRANK, "henry": HENRY}
COPIED_PAIR = ("carol", "frank")


def cell_source(part, body):
    return STUB_HEADERS[part] + body
