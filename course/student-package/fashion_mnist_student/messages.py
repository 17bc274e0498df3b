"""What the notebook tells the student, in its language ("en" or "zh"): the quick checks of the
visible test cells, the timed call both they and the grader's hidden checks use, and the data.

Each message says what to fix first: a failed cell's error is read from its first line (and
``nbgrader validate`` cuts lines after about 85 characters). The grader's own messages are in
the grader's own table, which adds these to it.
"""

import textwrap

MESSAGES = {
    # a student's function, called by the checks (guard.call)
    "not_written": (
        "{name} is not written yet: replace `raise NotImplementedError()` with your code.",
        "{name} 还没有实现：请把 `raise NotImplementedError()` 换成你的代码。"),
    "raised": (
        "{name} raised {error}. Run the cell that defines it and read the last line of the error.",
        "{name} 运行时出错：{error}。请重新运行定义它的单元格，并阅读错误信息的最后一行。"),
    "timeout": (
        "{name} did not finish within {seconds} s. Look for a loop that never ends.",
        "{name} 在 {seconds} 秒内没有结束。请检查是否有永不结束的循环。"),
    "not_defined": (
        "{name} is not defined: run the cell that defines it (and every cell above it).",
        "{name} 没有定义：请运行定义它的单元格（以及它上面的所有单元格）。"),
    # what the visible checks and the hidden checks both ask first
    # what the visible quick checks and the grader both say about the same mistakes
    "pre_shape": (
        "preprocess_images must keep the shape: it turned {given} into {got}. Scale the pixels; don't reshape.",
        "preprocess_images 不应改变形状：输入 {given}，输出却是 {got}。只需缩放像素值，不要改变形状。"),
    "pre_float": (
        "preprocess_images must return floating-point values, got dtype {dtype}. Divide by 255.0.",
        "preprocess_images 应返回浮点数，实际的 dtype 是 {dtype}。请除以 255.0。"),
    "pre_range": (
        "Pixel values must be in [0, 1]; the largest was {high} and the smallest {low}. Divide by 255.",
        "像素值应在 [0, 1] 之间；最大值是 {high}，最小值是 {low}。请除以 255。"),
    "pre_ends": (
        "255 must become 1.0 and 0 must stay 0.0; got {one} and {zero}. Divide by 255, nothing else.",
        "255 应变成 1.0，0 应保持 0.0；实际得到 {one} 和 {zero}。只需除以 255。"),
    "pre_mutates": (
        "preprocess_images changed the array it was given. Return a new array (images / 255.0) instead of changing images in place.",
        "preprocess_images 修改了传入的数组。请返回一个新数组（images / 255.0），不要原地修改 images。"),
    "compile_optimizer": (
        "The optimizer must be Adam, found {found}. Use optimizer='adam'.",
        "优化器应为 Adam，实际是 {found}。请使用 optimizer='adam'。"),
    "compile_loss": (
        "The loss must be sparse categorical cross-entropy (labels are integers 0..9), found {found}.",
        "损失函数应为稀疏分类交叉熵（标签是 0..9 的整数），实际是 {found}。"),
    "compile_logits": (
        "The model outputs logits (Dense(10) with no activation), so the loss needs from_logits=True: keras.losses.SparseCategoricalCrossentropy(from_logits=True).",
        "模型输出的是 logits（Dense(10) 没有激活函数），所以损失函数需要 from_logits=True：keras.losses.SparseCategoricalCrossentropy(from_logits=True)。"),
    "compile_metrics": (
        "Accuracy must be tracked: pass metrics=['accuracy'] (found {found}).",
        "需要跟踪准确率：请传入 metrics=['accuracy']（实际是 {found}）。"),
    "prob_range": (
        "Probabilities must lie in [0, 1]; found values from {low:.3f} to {high:.3f}. Add a Softmax layer after the model.",
        "概率应在 [0, 1] 之间；实际范围是 {low:.3f} 到 {high:.3f}。请在模型后面加一个 Softmax 层。"),
    "prob_sum": (
        "Each row of probabilities must sum to 1; a row summed to {total:.4f}. Add a Softmax layer after the model.",
        "每一行概率之和应为 1；有一行的和是 {total:.4f}。请在模型后面加一个 Softmax 层。"),
    "pre_not_array": (
        "preprocess_images must return a NumPy array, it returned {kind}.",
        "preprocess_images 应返回 NumPy 数组，实际返回的是 {kind}。"),
    "model_type": (
        "build_model must return a Keras model, it returned {kind}.",
        "build_model 应返回一个 Keras 模型，实际返回的是 {kind}。"),
    "model_output": (
        "Flatten the 28x28 image first and end with Dense(10): the model must map {given} images "
        "to an output of shape {want}; it gave {got}.",
        "请先用 Flatten 展平 28x28 的图像，最后一层用 Dense(10)：模型应把 {given} 的图像映射为形状 {want} 的输出，"
        "实际得到 {got}。"),
    "model_is_probe": (
        "build_model returned the checks' example model (fashion_mnist_student.examples.fresh_model), "
        "not one it built: build the lesson's model with Flatten, Dense(128, relu) and Dense(10).",
        "build_model 返回的是检查所用的示例模型，而不是自己构建的模型（它来自 "
        "fashion_mnist_student.examples.fresh_model）：请用 Flatten、Dense(128, relu) 和 Dense(10) 构建本课的模型。"),
    "model_softmax": (
        "Remove the activation '{activation}' from the last Dense(10): the loss uses "
        "from_logits=True and expects raw scores (logits).",
        "请去掉最后一层 Dense(10) 的 '{activation}' 激活函数：损失函数设置了 from_logits=True，"
        "需要未经处理的分数（logits）。"),
    "compile_return": (
        "compile_model must return the model it compiled, it returned {kind}.",
        "compile_model 应返回编译好的模型，实际返回的是 {kind}。"),
    "compile_adma": (
        "Keras does not know the optimizer {spelled!r}: check the spelling, it is 'adam'.",
        "Keras 不认识优化器 {spelled!r}：请检查拼写，应为 'adam'。"),
    "compile_tf1": (
        "Use optimizer='adam' (or keras.optimizers.Adam()): tf.train.AdamOptimizer is "
        "TensorFlow 1 and does not exist in TensorFlow 2.",
        "请使用 optimizer='adam'（或 keras.optimizers.Adam()）：tf.train.AdamOptimizer 是 "
        "TensorFlow 1 的接口，TensorFlow 2 中已不存在。"),
    "compile_not_compiled": (
        "The model is not compiled: call model.compile(...) inside compile_model.",
        "模型没有编译：请在 compile_model 中调用 model.compile(...)。"),
    "train_history": (
        "train_model must return the History that model.fit returns, it returned {kind}.",
        "train_model 应返回 model.fit 返回的 History 对象，实际返回的是 {kind}。"),
    "prob_shape": (
        "The probability model must output shape {want}, it gave {got}.",
        "概率模型的输出形状应为 {want}，实际是 {got}。"),
    "handover_too_large": (
        "What the function returned is too large to hand to the grader ({size} bytes, at most {limit}): return an ordinary array of the size asked for.",
        "函数返回的结果太大，无法交给评分程序（{size} 字节，最多 {limit} 字节）：请返回所要求大小的普通数组。"),
    # the data (data.load_data)
    "data_missing": (
        "Fashion-MNIST file missing: {path}.",
        "缺少 Fashion-MNIST 文件：{path}。"),
    "data_unreadable": (
        "Fashion-MNIST file {path} cannot be read ({error}): it is damaged.",
        "无法读取 Fashion-MNIST 文件 {path}（{error}）：文件已损坏。"),
    "data_size": (
        "Fashion-MNIST file {path} holds {size} values where {want} {kind} are expected {shape}: "
        "it is damaged or truncated.",
        "Fashion-MNIST 文件 {path} 含有 {size} 个值，应为 {want} 个（{kind}，形状 {shape}）：文件已损坏或不完整。"),
    "data_labels": (
        "Fashion-MNIST labels in {path} go up to {high}, not 0..9: the file is damaged.",
        "Fashion-MNIST 标签文件 {path} 中的标签最大为 {high}，而不是 0..9：文件已损坏。"),
    "data_checksum": (
        "Fashion-MNIST file {path} decodes to the right shape but the wrong values (checksum "
        "mismatch): it is damaged.",
        "Fashion-MNIST 文件 {path} 的形状正确，但内容不对（校验和不符）：文件已损坏。"),
    "data_fix_beside": (
        "Delete the four .gz files beside this notebook and unpack them again from the course's "
        "zip with data (or delete them to let Keras download the data).",
        "请删除笔记本旁边的四个 .gz 文件，再从课程提供的含数据的压缩包中重新解压（或者删除它们，让 Keras 重新下载数据）。"),
    "data_fix_cache": (
        "Delete the folder {folder} and run this cell again: Keras then downloads the data anew.",
        "请删除文件夹 {folder}，然后重新运行这个单元格：Keras 会重新下载数据。"),
    "data_none": (
        "Fashion-MNIST not found: put its four .gz files beside this notebook (the course's zip "
        "with data has them), or connect to the internet and run this cell again so Keras can "
        "download them (30 MB) into {folder}. The files: {names}. The download failed with: {error}",
        "没有找到 Fashion-MNIST 数据：请把四个 .gz 文件放在这个笔记本旁边（课程提供的含数据的压缩包里有），"
        "或者连上网络后重新运行这个单元格，让 Keras 把它们（30 MB）下载到 {folder}。这四个文件是：{names}。"
        "下载失败的原因：{error}"),
}


def text(pair, lang="en"):
    """The ``lang`` version of an (English, Chinese) pair."""
    return pair[1 if lang == "zh" else 0]


def say(key, lang="en", **values):
    """The message ``key`` in ``lang``, filled with ``values``."""
    return text(MESSAGES[key], lang).format(**values)


def wrapped(message, width=80):
    """``message`` as lines of at most ``width`` characters (long words and Chinese runs split)."""
    lines = []
    for paragraph in str(message).splitlines() or [""]:
        for line in textwrap.wrap(paragraph, width, break_on_hyphens=False) or [""]:
            while len(line) > width:
                lines.append(line[:width])
                line = line[width:]
            lines.append(line)
    return lines


class ReadableError(Exception):
    """An error Jupyter shows as its message alone, wrapped for ``nbgrader validate``, instead of a
    traceback through this package's code (IPython asks an exception for ``_render_traceback_``)."""

    def _render_traceback_(self):
        return wrapped(str(self))
