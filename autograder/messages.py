"""What a failed check tells the student, in the notebook's language ("en" or "zh").

The messages the notebook's own quick checks, the timed call and the data loading give live in the
student package (fashion_mnist_student.messages), which students have; MESSAGES adds the hidden
checks' and the grader's to them, so this table names every message a student can see.
"""

from fashion_mnist_student import messages as student

MESSAGES = {
    **student.MESSAGES,
    "cell_timeout": (
        "Timed out: this cell ran longer than the {seconds} s per-cell limit and was interrupted. "
        "The cells after it still ran and were graded. Look for a loop that never ends.",
        "超时：这个单元格运行超过了每个单元格 {seconds} 秒的限制，已被中断。"
        "后面的单元格照常运行并评分。请检查是否有永不结束的循环。"),
    # the hand-over from the kernel and what the grader refuses (autograder.judges)
    "probe_missing": (
        "The grader received nothing from this test cell: its hidden lines did not run to the end. Run every cell above, then this one.",
        "评分程序没有从这个测试单元格收到任何结果：其中隐藏的代码没有运行完。请先运行上面的所有单元格，再运行这个单元格。"),
    "probe_malformed": (
        "What this test cell handed to the grader could not be read as data ({detail}); this test scores 0.",
        "这个测试单元格交给评分程序的结果无法作为数据读取（{detail}），这项测试记 0 分。"),
    # why a hand-over was refused (autograder/judges/handover.py), inside probe_malformed's brackets
    "handover_not_file": ("not a regular file", "不是普通文件"),
    "handover_file_size": ("{size} bytes on disk, at most {limit}", "磁盘上 {size} 字节，最多 {limit} 字节"),
    "handover_inflates": ("its arrays would take {size} bytes once unpacked, at most {limit}",
                          "其中的数组解压后将占 {size} 字节，最多 {limit} 字节"),
    "handover_members": ("{count} arrays, at most {limit}", "共 {count} 个数组，最多 {limit} 个"),
    "handover_dtype": ("the array {name} holds {dtype}, not plain numbers", "数组 {name} 的类型是 {dtype}，不是普通数值"),
    "handover_header": ("the array {name} claims the shape {shape}, which its data does not fill",
                        "数组 {name} 声称形状为 {shape}，但数据与之不符"),
    "handover_depth": ("JSON nested {depth} levels deep, at most {limit}", "JSON 嵌套 {depth} 层，最多 {limit} 层"),
    "handover_not_object": ("the JSON is not an object", "JSON 不是一个对象"),
    "handover_names": ("the arrays {got}, where {want} were expected", "数组是 {got}，应为 {want}"),
    "handover_shape": ("the array {name} has the shape {got}, not {want}", "数组 {name} 的形状是 {got}，应为 {want}"),
    "kernel_died": (
        "The kernel died while this cell ran (cell {cell}). That usually means the code used too much memory, crashed Python (e.g. os._exit) or started too many processes. The cells before it kept their points; the grader restarted the kernel and graded the cells after it.",
        "运行这个单元格（第 {cell} 个单元格）时内核崩溃了。常见原因是代码占用内存过多、让 Python 崩溃（例如 os._exit）或启动了过多进程。之前的单元格保留得分；评分程序重启了内核，并继续评分后面的单元格。"),
    "kernel_died_before": (
        "Not graded: the kernel died in cell {cell} and could not be restarted, so this cell did not run. The cells before cell {cell} kept their points.",
        "未评分：内核在第 {cell} 个单元格崩溃且无法重启，这个单元格没有运行。第 {cell} 个单元格之前的单元格保留得分。"),
    "process_cap": (
        "This cell hit the limit of {limit} processes and threads per submission (a fork bomb or runaway threads); it scores 0, the other cells are graded.",
        "这个单元格触及了每份作业 {limit} 个进程和线程的上限（例如 fork 炸弹或失控的线程），记 0 分，其余单元格照常评分。"),
    "model_not_finite": (
        "The model's scores contain NaN or infinity.",
        "模型输出的分数中含有 NaN 或无穷大。"),
    "model_inconsistent": (
        "The model's scores are not what its layers and weights compute: build_model must return an ordinary keras.Sequential model of these layers.",
        "模型输出的分数与它的层和权重算出的结果不一致：build_model 应返回由这些层组成的普通 keras.Sequential 模型。"),
    "compile_changed_model": (
        "compile_model must compile the model it is given and return it, not build another one.",
        "compile_model 应编译传入的模型并返回它，而不是另建一个模型。"),
    "compile_optimizer_step": (
        "The optimizer does not take Adam's steps at its learning rate. Use optimizer='adam'.",
        "优化器的更新步长不符合 Adam 在其学习率下的表现。请使用 optimizer='adam'。"),
    "compile_loss_value": (
        "The loss the model reports ({got}) is not the sparse categorical cross-entropy of its logits ({want}).",
        "模型报告的损失（{got}）不等于其 logits 的稀疏分类交叉熵（{want}）。"),
    "compile_metric_value": (
        "The accuracy metric the model reports ({got}) is not the share of right predictions ({want}).",
        "模型报告的准确率指标（{got}）不等于预测正确的比例（{want}）。"),
    "train_epochs_steps": (
        "train_model must fit the model it is given for `epochs` epochs: after epochs={want} the weights are not those of {want} epochs of training.",
        "train_model 应对传入的模型训练 `epochs` 轮：epochs={want} 时，训练后的权重与训练 {want} 轮的结果不符。"),
    "train_not_given_model": (
        "train_model must train the model it is given (model.fit on that model), not another one.",
        "train_model 应训练传入的模型（对它调用 model.fit），而不是另一个模型。"),
    "predictions_not_model": (
        "predictions are not your trained model's predictions on the test images (only {share} of the rows agree).",
        "predictions 不是你训练好的模型对测试图像的预测（只有 {share} 的行一致）。"),
    # preprocess_images
    # build_model
    "model_layers": (
        "The model's layers must be Flatten -> Dense(128, relu) -> Dense(10); found {found}.",
        "模型的层应为 Flatten -> Dense(128, relu) -> Dense(10)；实际是 {found}。"),
    # compile_model
    # train_model
    "train_epochs": (
        "train_model was asked for {want} epochs but trained {got}. Pass epochs=epochs to model.fit.",
        "要求 train_model 训练 {want} 轮，实际训练了 {got} 轮。请把 epochs=epochs 传给 model.fit。"),
    "train_loss": (
        "The loss did not go down during training ({first:.3f} -> {last:.3f}). Train on the images and labels you are given.",
        "训练过程中损失没有下降（{first:.3f} -> {last:.3f}）。请用传入的图像和标签进行训练。"),
    # make_probability_model
    "prob_softmax": (
        "The probabilities are not the softmax of the model's logits (largest difference {diff:.3g}). Use exactly one Softmax layer: keras.Sequential([model, keras.layers.Softmax()]).",
        "输出的概率不等于模型 logits 的 softmax（最大差值 {diff:.3g}）。请只加一个 Softmax 层：keras.Sequential([model, keras.layers.Softmax()])。"),
    "prob_changed_model": (
        "make_probability_model changed the model it was given (it now computes something else, or it is the model returned): leave it as it is and return a new model, keras.Sequential([model, keras.layers.Softmax()]).",
        "make_probability_model 改动了传入的模型（它现在算出的结果变了，或者返回的就是这个模型本身）：请保持传入的模型不变，返回一个新模型，即 keras.Sequential([model, keras.layers.Softmax()])。"),
    "predictions_shape": (
        "predictions must have shape (10000, 10), one row of 10 probabilities per test image; found {got}.",
        "predictions 的形状应为 (10000, 10)，每张测试图像一行 10 个概率；实际是 {got}。"),
    # accuracy
    "acc_low": (
        "The trained model reaches {acc:.3f} accuracy on the 10,000 test images; at least {threshold:.3f} is needed. Check the preprocessing, the model and that training ran for 10 epochs.",
        "训练好的模型在 10,000 张测试图像上的准确率是 {acc:.3f}，至少需要 {threshold:.3f}。请检查预处理、模型结构，以及是否训练了 10 轮。"),
    "acc_measured": (
        "Measured by the grader on the 10,000 test images: accuracy {acc:.3f} (at least {threshold:.3f} needed).",
        "评分程序在 10,000 张测试图像上测得的准确率是 {acc:.3f}（至少需要 {threshold:.3f}）。"),
    "acc_no_handover": (
        "The grader received no trained model: the line that hands `model` over did not run. Run every cell above, then this one.",
        "评分程序没有收到训练好的模型：交出 `model` 的那一行没有运行。请先运行上面的所有单元格，再运行这个单元格。"),
    "acc_unreadable": (
        "The grader could not read the trained model's weights ({error}).",
        "评分程序无法读取训练好的模型的权重（{error}）。"),
    "acc_architecture": (
        "The trained model's weights have the shapes {got}, not those of Flatten -> Dense(128, relu) -> Dense(10) {want}, so its accuracy cannot be measured. Fix build_model first.",
        "训练好的模型的权重形状是 {got}，与 Flatten -> Dense(128, relu) -> Dense(10) 的 {want} 不符，因此无法测量准确率。请先改正 build_model。"),
    # plots
    "plot_no_image": (
        "plot_image must show the image with plt.imshow; no image was drawn.",
        "plot_image 应使用 plt.imshow 显示图像，但没有画出任何图像。"),
    "plot_wrong_image": (
        "plot_image showed a different picture from img[i].",
        "plot_image 显示的不是 img[i] 这张图。"),
    "plot_label": (
        "The x-label must read '{want}' (predicted name, confidence as a whole percent, true name); it reads '{got}'.",
        "x 轴标签应为 '{want}'（预测类别、取整的置信度百分比、真实类别）；实际是 '{got}'。"),
    "plot_label_color": (
        "The x-label must be {want} when the prediction is {verdict}; it is {got}.",
        "预测{verdict}时 x 轴标签应为{want}；实际是 {got}。"),
    "bars_count": (
        "plot_value_array must draw 10 bars, one per class; found {got}.",
        "plot_value_array 应画 10 个柱形，每类一个；实际有 {got} 个。"),
    "bars_heights": (
        "The bars' heights must be the 10 probabilities of predictions_array.",
        "柱形的高度应等于 predictions_array 中的 10 个概率。"),
    "bars_ylim": (
        "The y-axis must go from 0 to 1 (plt.ylim([0, 1])); it goes from {low} to {high}.",
        "y 轴范围应为 0 到 1（plt.ylim([0, 1])）；实际是 {low} 到 {high}。"),
    "bars_color": (
        "The bar of the {which} class ({label}) must be {want}; it is {got}.",
        "{which}类别（{label}）的柱形应为{want}；实际是 {got}。"),
    # the borderline re-check of the accuracy (autograder/recheck.py)
    "acc_recheck_passed": (
        "A near miss, so the grader trained your model again: {first:.3f} on the first seed, {figures} on {n} more (mean {mean:.3f}): passed, the threshold is {threshold:.3f}.",
        "差一点达到门槛，所以评分程序又训练了你的模型：第一个种子上为 {first:.3f}，另外 {n} 个种子上为 {figures}（平均 {mean:.3f}）：通过，门槛是 {threshold:.3f}。"),
    "acc_recheck_failed": (
        "A near miss, so the grader trained your model again: {first:.3f} on the first seed, {figures} on {n} more (mean {mean:.3f}): not passed, at least {threshold:.3f} is needed. Check the preprocessing, the model and that training ran for 10 epochs.",
        "差一点达到门槛，所以评分程序又训练了你的模型：第一个种子上为 {first:.3f}，另外 {n} 个种子上为 {figures}（平均 {mean:.3f}）：未通过，至少需要 {threshold:.3f}。请检查预处理、模型结构，以及是否训练了 10 轮。"),
    "acc_recheck_error": (
        "The trained model reaches {first:.3f}, just below the threshold {threshold:.3f}; training it again with a further seed failed ({error}), so the first figure counts.",
        "训练好的模型准确率是 {first:.3f}，略低于门槛 {threshold:.3f}；用另一个种子重新训练时出错（{error}），因此按第一次的结果计分。"),
}

WORDS = {
    "blue": ("blue", "蓝色"), "red": ("red", "红色"),
    "right": ("right", "正确"), "wrong": ("wrong", "错误"),
    "predicted": ("predicted", "预测"), "true": ("true", "真实"),
}


def say(key, lang="en", **values):
    """The message ``key`` in ``lang``, filled with ``values``."""
    return student.text(MESSAGES[key], lang).format(**values)


def word(key, lang="en"):
    return student.text(WORDS[key], lang)
