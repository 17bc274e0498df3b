"""The report's figures, drawn with matplotlib (Agg) and returned as base64 PNG for inline <img>."""

import base64
import io


def _pyplot(lang):
    import matplotlib
    matplotlib.use("Agg")   # no display; the report is written from a terminal or CI
    import matplotlib.pyplot as plt

    from course import setup_matplotlib
    setup_matplotlib(lang)  # Noto Sans CJK SC for Chinese labels
    return plt


def _png(fig):
    import matplotlib.pyplot as plt
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def score_histogram(scores, max_score, mean, median, t, lang):
    plt = _pyplot(lang)
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    top = max(max_score, max(scores, default=0))
    bins = [x - 0.5 for x in range(int(top) + 2)] if top <= 60 else 20
    ax.hist(scores, bins=bins, color="#4c72b0", edgecolor="white")
    for value, style, name in ((mean, "--", t("mean")), (median, ":", t("median"))):
        if value is not None:
            ax.axvline(value, color="#c44e52", linestyle=style, label=f"{name} {value:.1f}")
    ax.set(title=t("hist_title"), xlabel=t("hist_x"), ylabel=t("hist_y"), xlim=(-0.5, top + 0.5))
    ax.yaxis.get_major_locator().set_params(integer=True)
    if mean is not None:   # below the axes: a bar at 0 (missing work) sits where "best" would put it
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    return _png(fig)


def pass_rates(names, rates, t, lang):
    plt = _pyplot(lang)
    fig, ax = plt.subplots(figsize=(6.4, 0.3 * len(names) + 1))
    shown = [0 if r is None else r for r in rates]
    ax.barh(range(len(names)), shown, color=["#c44e52" if r < 0.2 else "#55a868" for r in shown])
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), title=t("pass_title"), xlabel=t("pass_rate"))
    return _png(fig)


def accuracies(values, threshold, margin, t, lang):
    plt = _pyplot(lang)
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    low = min(values + [threshold - 0.05])
    ax.hist(values, bins=20, range=(low, max(values + [threshold + 0.05])), color="#4c72b0", edgecolor="white")
    ax.axvline(threshold, color="#c44e52", label=f"{t('acc_threshold')} {threshold:.3f}")
    ax.axvspan(threshold - margin, threshold + margin, color="#c44e52", alpha=0.15, label=t("borderline"))
    ax.set(title=t("acc_title"), xlabel=t("acc_x"), ylabel=t("hist_y"))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    return _png(fig)
