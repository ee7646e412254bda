#!/usr/bin/env python3
"""plot_train_curve.py LOG OUT.svg [TITLE] - draw the stderr progress lines of
`xlrec train-encoder` as an SVG line chart (standard library only): held-out P@1 in both
directions (left axis, 0..1) and the training loss (right axis), against the step.
Also prints the (step, loss, P@1) table as Markdown rows."""
import re
import sys

step_re = re.compile(r"^step (\d+)/(\d+)")
loss_re = re.compile(r"  loss ([0-9.]+)")
p1_re = re.compile(r"P@1 ([0-9.]+)/([0-9.]+)")


def main():
    log, out = sys.argv[1], sys.argv[2]
    title = sys.argv[3] if len(sys.argv) > 3 else "xlrec train-encoder"
    loss_pts, p1_pts = [], []
    for line in open(log, encoding="utf-8"):
        m = step_re.match(line)
        if not m:
            continue
        step = int(m.group(1))
        ml, mp = loss_re.search(line), p1_re.search(line)
        if ml:
            loss_pts.append((step, float(ml.group(1))))
        if mp:
            p1_pts.append((step, float(mp.group(1)), float(mp.group(2))))
    total = max([p[0] for p in loss_pts + p1_pts] + [1])
    lmax = max([p[1] for p in loss_pts] + [1.0])
    W, H, L, R, T, B = 720, 380, 60, 60, 40, 50
    pw, ph = W - L - R, H - T - B

    def x(s):
        return L + pw * s / total

    def y01(v):
        return T + ph * (1 - v)

    def yl(v):
        return T + ph * (1 - v / lmax)

    o = ['<?xml version="1.0" encoding="UTF-8"?>',
         f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
         'font-family="sans-serif" font-size="12">',
         f'<rect x="0" y="0" width="{W}" height="{H}" fill="white"/>',
         f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>']
    for i in range(5):
        v = i / 4
        o.append(f'<line x1="{L}" y1="{y01(v):.1f}" x2="{L + pw}" y2="{y01(v):.1f}" stroke="#ddd"/>')
        o.append(f'<text x="{L - 6}" y="{y01(v) + 4:.1f}" text-anchor="end">{v:.2f}</text>')
        o.append(f'<text x="{L + pw + 6}" y="{y01(v) + 4:.1f}">{lmax * v:.1f}</text>')
    for i in range(6):
        s = total * i / 5
        o.append(f'<text x="{x(s):.1f}" y="{T + ph + 18}" text-anchor="middle">{int(s)}</text>')
    o.append(f'<line x1="{L}" y1="{T + ph}" x2="{L + pw}" y2="{T + ph}" stroke="black"/>')
    o.append(f'<text x="{L + pw / 2}" y="{H - 10}" text-anchor="middle">optimiser step</text>')
    o.append(f'<text x="16" y="{T + ph / 2}" transform="rotate(-90 16 {T + ph / 2})" text-anchor="middle">'
             'held-out P@1</text>')
    o.append(f'<text x="{W - 12}" y="{T + ph / 2}" transform="rotate(90 {W - 12} {T + ph / 2})" '
             'text-anchor="middle">training loss</text>')

    def poly(pts, color, dash=""):
        d = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        return f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="1.5"{extra}/>'

    if loss_pts:
        o.append(poly([(x(s), yl(v)) for s, v in loss_pts], "#999", "4 3"))
    if p1_pts:
        o.append(poly([(x(s), y01(a)) for s, a, b in p1_pts], "#1f77b4"))
        o.append(poly([(x(s), y01(b)) for s, a, b in p1_pts], "#d62728"))
        for s, a, b in p1_pts:
            o.append(f'<circle cx="{x(s):.1f}" cy="{y01(a):.1f}" r="2.5" fill="#1f77b4"/>')
            o.append(f'<circle cx="{x(s):.1f}" cy="{y01(b):.1f}" r="2.5" fill="#d62728"/>')
    lx, ly = L + 12, T + 14
    for i, (name, color, dash) in enumerate([("P@1 source -> target", "#1f77b4", ""),
                                              ("P@1 target -> source", "#d62728", ""),
                                              ("training loss (right axis)", "#999", "4 3")]):
        yy = ly + 16 * i
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        o.append(f'<line x1="{lx}" y1="{yy}" x2="{lx + 24}" y2="{yy}" stroke="{color}" stroke-width="2"{extra}/>')
        o.append(f'<text x="{lx + 30}" y="{yy + 4}">{name}</text>')
    o.append("</svg>")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(o) + "\n")
    loss_at = dict(loss_pts)
    print("| step | loss | P@1 src->tgt | P@1 tgt->src |")
    print("|---|---|---|---|")
    for s, a, b in p1_pts:
        lv = f"{loss_at[s]:.3f}" if s in loss_at else "-"
        print(f"| {s} | {lv} | {a:.3f} | {b:.3f} |")


if __name__ == "__main__":
    main()
