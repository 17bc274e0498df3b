"""One terminology (book/terminology.yml) for the whole course (fast, no build).

The generated glossary pages and jieba dictionary match it, no Chinese text a student reads uses
a rejected variant, and twin pages link the same glossary terms.
"""

import importlib.util
import re

import pytest

from book_site import CHAPTERS, ROOT

spec = importlib.util.spec_from_file_location("terminology", ROOT / "tools" / "terminology.py")
terminology = importlib.util.module_from_spec(spec)
spec.loader.exec_module(terminology)
TERMS = terminology.load()

# what issue #9 fixed, and d2l-zh's choices (epoch is ours: see its `why`)
REQUIRED = {
    "tensor": "张量", "loss function": "损失函数", "optimizer": "优化器", "batch": "批量", "epoch": "轮",
    "overfitting": "过拟合", "logits": "logits", "softmax": "softmax", "cell": "单元格", "build": "构建",
    "image": "图像", "relu": "ReLU", "activation function": "激活函数", "cross-entropy": "交叉熵",
    "training set": "训练集", "test set": "测试集", "accuracy": "准确率", "confusion matrix": "混淆矩阵",
    "layer": "层", "weight": "权重", "learning rate": "学习率", "validation set": "验证集",
    "preprocessing": "预处理", "probability": "概率", "prediction": "预测",
}
REJECTED = {"batch": "批次", "cell": "代码单元", "build": "搭建", "image": "图片"}
# issue #25: epoch was 轮 in the text, 轮次 in headings and axes, 轮数 in 07b; 搭出模型 for 构建
REJECTED_25 = {"epoch": ["轮次", "轮数"], "build": ["搭出"]}


def test_terminology_chooses_the_terms():
    chosen = {term["id"]: term["zh"] for term in TERMS}
    assert {key: chosen.get(key) for key in REQUIRED} == REQUIRED
    for key, variant in REJECTED.items():
        assert variant in next(t for t in TERMS if t["id"] == key)["rejected"], key
    for key, variants in REJECTED_25.items():
        assert set(variants) <= set(next(t for t in TERMS if t["id"] == key)["rejected"]), key
    for term in TERMS:
        assert term["definition"]["en"].strip() and term["definition"]["zh"].strip(), term["id"]
        assert term["zh"] not in term["rejected"], term["id"]
        # a choice that departs from d2l-zh says why
        assert term["d2l"] in (None, term["zh"]) or term.get("why"), term["id"]
    assert len({term["id"] for term in TERMS}) == len(TERMS)
    assert [term["en"].lower() for term in TERMS] == sorted(term["en"].lower() for term in TERMS)


def test_generated_files_match_terminology():
    assert terminology.drift() == [], "run: python tools/terminology.py"


def test_drift_is_caught():
    changed = [dict(term) for term in TERMS]
    changed[0] = {**changed[0], "definition": {"en": "Something else.", "zh": "别的意思。"}}
    assert terminology.GLOSSARY / "en.md" in terminology.drift(changed)
    changed.append({"id": "x", "en": "zzz", "zh": "新术语", "definition": {"en": "x", "zh": "x"},
                    "rejected": [], "allow": [], "search": []})
    assert terminology.JIEBA_DICT in terminology.drift(changed)


def test_glossary_pages_name_both_terms():
    zh = (ROOT / "book" / "15_glossary" / "zh.md").read_text(encoding="utf-8")
    # the English part in English for a screen reader ({lang} role of book/_ext/a11y.py)
    assert "\n张量（{lang}`en:tensor`）\n" in zh and "\n过拟合（{lang}`en:overfitting`）\n" in zh
    assert "\nsoftmax\n" in zh and "```{glossary}" in zh
    en = (ROOT / "book" / "15_glossary" / "en.md").read_text(encoding="utf-8")
    assert "Chinese: {lang}`zh-CN:张量`." in en
    words = (ROOT / "book" / "_ext" / "jieba_dict.txt").read_text(encoding="utf-8").split()
    for word in ("过拟合", "损失函数", "混淆矩阵", "优化器", "激活函数", "交叉熵", "训练集"):
        assert word in words


def glossary_order(lang):
    body = (ROOT / "book" / "15_glossary" / f"{lang}.md").read_text(encoding="utf-8").split("```{glossary}")[1]
    return [line for line in body.splitlines() if line and not line.startswith((" ", "`"))]


def test_chinese_glossary_is_sorted_by_pinyin():
    zh = glossary_order("zh")
    assert len(zh) == len(TERMS)
    keys = [terminology.pinyin_key(line.split("（")[0]) for line in zh]
    assert keys == sorted(keys)
    assert zh.index("层（{lang}`en:layer`）") < zh.index("单元（{lang}`en:unit`）") < \
        zh.index("张量（{lang}`en:tensor`）") < zh.index("准确率（{lang}`en:accuracy`）")
    assert [line.split(" ")[0] for line in glossary_order("en")][:2] == ["accuracy", "activation"]
    # the check can fail: the English order is not the pinyin order
    english = [terminology.pinyin_key(term["zh"]) for term in TERMS]
    assert english != sorted(english)


def test_chinese_texts_use_no_rejected_variant():
    found = terminology.lint()
    assert found == [], "use the chosen term (book/terminology.yml):\n" + "\n".join(found)


def test_chinese_texts_cover_every_place():
    names = [name for name, _ in terminology.chinese_texts()]
    assert "README.zh-CN.md" in names and "book/06_train/zh.md" in names
    assert any(name.startswith("exercises/fashion_mnist_zh/fashion_mnist.ipynb cell") for name in names)
    assert any(name.startswith("autograder message") for name in names)


def test_rejected_variant_is_caught(tmp_path):
    page = (ROOT / "book" / "06_train" / "zh.md").read_text(encoding="utf-8")
    planted = tmp_path / "zh.md"
    planted.write_text(page.replace("批量", "批次", 1), encoding="utf-8")
    assert [hit[:2] for hit in terminology.rejected_uses(planted.read_text(encoding="utf-8"), TERMS)] \
        == [("批次", "批量")]
    assert terminology.rejected_uses("每一张图片都要缩放。", TERMS)[0][:2] == ("图片", "图像")
    assert terminology.rejected_uses("```python\nprint('图片')  # 一格\n```", TERMS) != []  # code too
    assert terminology.rejected_uses("混淆矩阵每一格里的数", TERMS) == []  # an allowed phrase
    assert terminology.rejected_uses("先加一个 Relu 激活", TERMS)[0][0] == "Relu"
    assert terminology.rejected_uses("写 `activation='relu'` 即可", TERMS) == []
    # one Chinese term for epoch, in headings and in a figure's axis label (a code string) too
    assert [hit[:2] for hit in terminology.rejected_uses("## 批量与轮次", TERMS)] == [("轮次", "轮")]
    assert [hit[:2] for hit in terminology.rejected_uses('```python\nplt.xlabel("轮数")\n```', TERMS)] == [("轮数", "轮")]
    assert terminology.rejected_uses('## 批量与轮\n```python\nplt.xlabel("轮")\n```\n训练 10 轮。', TERMS) == []
    assert [hit[:2] for hit in terminology.rejected_uses("## 四行代码搭出模型", TERMS)] == [("搭出", "构建")]


def test_chinese_pages_follow_the_typography_rules():
    found = terminology.typography_lint()
    assert found == [], "Chinese typography (tools/terminology.py TYPOGRAPHY):\n" + "\n".join(found)


def typography(text):
    return [rule for rule, _, _ in terminology.typography_problems(text)]


def test_typography_rules_catch_planted_cases():
    """Each rule of the style check, on a sentence that breaks it and on the same sentence written
    as the rules ask."""
    cases = [
        ("italic Chinese", "这就是模型的*学习曲线*。", "这就是模型的**学习曲线**。"),
        ("T 恤", "一件 T 恤。", "一件 T恤。"),
        ("单元 for a notebook cell", "一个单元很容易被运行两次。", "一个单元格很容易被运行两次；隐藏层有 128 个单元。"),
        ("万 for a count", "训练集有 6 万张图像。", "训练集有 60,000 张图像。"),
        ("long number without separators", "一共 101770 个参数。", "一共 101,770 个参数（`model.count_params()` 返回 `101770`）。"),
        ("space after full-width punctuation", "真实标签：  套头衫", "真实标签：套头衫"),
    ]
    for rule, wrong, right in cases:
        assert rule in typography(wrong), (rule, wrong)
        assert typography(right) == [], (rule, right, terminology.typography_problems(right))
    # printed output: a code cell's strings count, its code does not
    cell = "```{code-cell} ipython3\nprint(f\"真实标签：  {name}\")  # 12345\n```\n"
    assert typography(cell) == ["space after full-width punctuation"]
    assert typography("```{code-cell} ipython3\nx = 12345  # *注意*\n```\n") == []
    # a table's cells, formulas, links and front matter are not prose
    assert typography("---\ntranslation:\n  source_hash: 123456789\n---\n| 类别： | 数 |\n"
                      "$10000$ 与 [链接](https://example.org/12345)。\n") == []


# --- glossary links in the chapters ---------------------------------------------------------

LABELS = {lang: {terminology.label(term, lang).lower(): term["id"] for term in TERMS} for lang in ("en", "zh")}
ROLE = re.compile(r"\{term\}`([^`]+)`")


def linked_terms(text, lang):
    """{term id} of every {term} role in a page; unknown targets as '?target'."""
    found = set()
    for content in ROLE.findall(text):
        target = re.search(r"<([^<>]+)>\s*$", content)
        target = (target[1] if target else content).strip().lower()
        found.add(LABELS[lang].get(target, f"?{target}"))
    return found


@pytest.mark.parametrize("chapter", [c for c in CHAPTERS if c != "15_glossary"])
def test_twins_link_the_same_glossary_terms(chapter):
    en = linked_terms((ROOT / "book" / chapter / "en.md").read_text(encoding="utf-8"), "en")
    zh = linked_terms((ROOT / "book" / chapter / "zh.md").read_text(encoding="utf-8"), "zh")
    assert not [t for t in en | zh if t.startswith("?")], "not in the glossary"
    assert en == zh


def test_chapters_link_the_glossary():
    linked = set()
    for chapter in CHAPTERS:
        linked |= linked_terms((ROOT / "book" / chapter / "en.md").read_text(encoding="utf-8"), "en")
    assert len(linked) >= 20, sorted(linked)


def test_term_links_are_checked():
    assert linked_terms("a {term}`batch` and {term}`Weights <weight>`", "en") == {"batch", "weight"}
    assert linked_terms("一个{term}`批量 <批量（batch）>`", "zh") == {"batch"}
    assert linked_terms("{term}`批次 <批次（batch）>`", "zh") == {"?批次（batch）"}


# --- the Chinese search index -----------------------------------------------------------------

def build_search_index(tmp_path, dictionary):
    """Sphinx's Chinese search index of a two-page project, built with the book's extension."""
    import json
    import subprocess
    import sys
    project = tmp_path / ("with" if dictionary else "without")
    (project / "book" / "01_x").mkdir(parents=True)
    (project / "book" / "terminology.yml").write_text(terminology.TERMINOLOGY.read_text(encoding="utf-8"),
                                                      encoding="utf-8")
    options = {"dict": str(terminology.JIEBA_DICT)} if dictionary else {}
    (project / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\nextensions = ['twins']\n"
        f"language = 'zh_CN'\nhtml_search_options = {options!r}\n", encoding="utf-8")
    (project / "index.rst").write_text("首页\n====\n\n为了防止过拟合，要看损失函数和混淆矩阵。模型训练 10 轮。\n\n"
                                       ".. toctree::\n\n   book/01_x/zh\n", encoding="utf-8")
    (project / "book" / "01_x" / "zh.rst").write_text("页面\n====\n\n优化器、激活函数、交叉熵和训练集。\n",
                                                      encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(project), str(project / "_out")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "WARNING" not in result.stderr, result.stderr[-2000:]
    text = (project / "_out" / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1:text.rindex(")")])["terms"]


def test_chinese_search_keeps_terms_whole(tmp_path):
    words = ("过拟合", "损失函数", "混淆矩阵", "优化器", "激活函数", "交叉熵", "训练集")
    terms = build_search_index(tmp_path, dictionary=True)
    assert [word for word in words if word not in terms] == []
    assert "轮" in terms  # a one-character glossary term, kept although Sphinx drops such words
    # the check can fail: without the dictionary jieba cuts them apart (过 + 拟合)
    terms = build_search_index(tmp_path, dictionary=False)
    assert "过拟合" not in terms and "拟合" in terms
