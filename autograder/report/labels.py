"""The report's words in English and Chinese; one table so both languages stay in step."""

from ..grading.status import Status

LABELS = {
    "title": ("Class report: {assignment}", "班级报告：{assignment}"),
    "generated": ("Generated {when} from {course}.", "生成于 {when}，课程目录：{course}。"),
    "summary": ("Scores", "得分概况"),
    "students": ("Students", "学生"),
    "graded": ("In the gradebook", "已记入成绩簿"),
    "mean": ("Mean", "平均分"),
    "median": ("Median", "中位数"),
    "full_marks": ("Full marks", "满分人数"),
    "below_half": ("Below half", "低于一半"),
    "of_points": ("out of {points:g} points", "满分 {points:g} 分"),
    "hist_title": ("Score distribution", "得分分布"),
    "hist_x": ("score", "得分"),
    "hist_y": ("students", "学生人数"),
    "pass_title": ("Pass rate per test cell", "各测试单元格的通过率"),
    "parts": ("Graded parts", "评分部分"),
    "part": ("Part", "部分"),
    "points": ("Points", "分值"),
    "pass_rate": ("Pass rate", "通过率"),
    "points_lost": ("Points lost", "失分合计"),
    "cells": ("Test cells", "测试单元格"),
    "cell": ("Test cell", "测试单元格"),
    "discrimination": ("Discrimination", "区分度"),
    "flags": ("Flags", "提示"),
    "too_hard": ("nearly everyone fails (pass rate < {limit:g})", "几乎所有人都未通过（通过率 < {limit:g}）"),
    "weak": ("weak discrimination (< {limit:g}): weak submissions pass as often as strong ones",
             "区分度低（< {limit:g}）：薄弱的提交与优秀的提交通过得一样多"),
    "items_note": ("Discrimination: point-biserial correlation of passing the cell with the rest of "
                   "the score (total minus the cell). n/a: everyone passed or everyone failed. "
                   "Submissions without a notebook are left out of this table.",
                   "区分度：通过该单元格与其余得分（总分减去该单元格得分）之间的点二列相关系数。"
                   "n/a 表示所有人都通过或都未通过。没有提交笔记本的学生不计入此表。"),
    "failures": ("Most common failures", "最常见的失败原因"),
    "message_key": ("Message key", "消息键"),
    "example": ("Message (one student's)", "消息（某位学生收到的）"),
    "count": ("Students", "学生人数"),
    "who": ("Who", "名单"),
    "no_failures": ("No failures.", "没有人失败。"),
    "unknown_key": ("(not from a check)", "（非检查消息）"),
    "accuracy": ("Model accuracy", "模型准确率"),
    "threshold": ("Threshold: {threshold:.3f}; borderline: within {margin:g} of it.",
                  "阈值：{threshold:.3f}；与阈值相差不超过 {margin:g} 视为临界。"),
    "acc_title": ("Test accuracy of the students' models", "学生模型的测试准确率"),
    "acc_x": ("accuracy on the 10,000 test images", "10,000 张测试图像上的准确率"),
    "acc_threshold": ("threshold", "阈值"),
    "borderline": ("Borderline", "临界"),
    "borderline_list": ("Borderline submissions", "临界提交"),
    "none": ("None.", "无。"),
    "no_accuracy": ("No accuracy recorded yet (n/a): the grader writes it into the autograded notebooks.",
                    "尚无准确率记录（n/a）：评分程序会把它写入自动评分后的笔记本。"),
    "health": ("Run health", "运行情况"),
    "status": ("Status", "状态"),
    "slowest": ("Slowest submissions", "最慢的提交"),
    "seconds": ("Wall time (s)", "用时（秒）"),
    "memory": ("Peak memory (MB)", "峰值内存（MB）"),
    "detail": ("Notes", "备注"),
    "similar": ("Similar code", "相似代码"),
    "similar_note": ("Pairs whose solution cells share at least {threshold:.0%} of their code once names, "
                     "comments and formatting are ignored; the reference solution and the release stub "
                     "are left out first. Highlighted: the shared passages. A flag is a reason to look, "
                     "not proof of copying.",
                     "忽略变量名、注释和格式之后，解答单元格中至少有 {threshold:.0%} 的代码相同的提交对；"
                     "参考答案和发放的模板代码事先排除。高亮部分为相同的代码。"
                     "被标记只说明值得查看，并不证明抄袭。"),
    "similarity": ("Similarity", "相似度"),
    "no_similar": ("No pair above the threshold.", "没有超过阈值的提交对。"),
    "similar_skipped": ("Not checked (--similarity off).", "未检查（--similarity off）。"),
    "table": ("Students", "学生列表"),
    "sort_hint": ("Click a column header to sort.", "点击列标题即可排序。"),
    "student": ("Student", "学生"),
    "score": ("Score", "得分"),
    "percent": ("%", "百分比"),
    "failed_cells": ("Failed cells", "未通过的单元格"),
    "feedback": ("Feedback", "反馈"),
    "open": ("open", "打开"),
    "na": ("n/a", "n/a"),
    # the borderline re-check (autograder/recheck.py): after the first accuracy
    "recheck": ("re-checked: {figures} on {n} more seeds (mean {mean}): {verdict}",
                "已复核：另外 {n} 个种子上为 {figures}（平均 {mean}）：{verdict}"),
    "forbidden_list": ("Reached for the course's code (a signal to look at: it costs no point; the kernel "
                       "cannot reach the course)",
                       "试图调用课程代码的提交（仅供查看的信号，不扣分；内核接触不到课程代码）"),
    "forbidden_item": ("{what} in {cells}", "{cells}中用到 {what}"),
    "recheck_passed": ("passed", "通过"),
    "recheck_failed": ("not passed", "未通过"),
    "recheck_error": ("re-check failed ({error}): the first figure counts",
                      "复核出错（{error}）：按第一次的结果计分"),
}

STATUS = {
    Status.GRADED: ("graded", "已评分"),
    Status.TIMED_OUT: ("timed out", "超时"),
    Status.KERNEL_DIED: ("kernel died", "内核崩溃"),
    Status.MISSING: ("missing notebook", "缺少笔记本"),
    Status.BAD_FILE: ("bad file", "文件无效"),
    Status.FAILED: ("failed", "评分失败"),
    Status.NOT_RECORDED: ("not recorded", "未记录"),
    None: ("no run state", "无运行记录"),
}


def labels(lang):
    """A function t(key, **values) for one language."""
    index = 1 if lang == "zh" else 0

    def t(key, **values):
        text = LABELS[key][index]
        return text.format(**values) if values else text
    return t


def status_label(status, lang):
    return STATUS[status][1 if lang == "zh" else 0]
