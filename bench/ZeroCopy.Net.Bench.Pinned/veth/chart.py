#!/usr/bin/env python3
"""Draws throughput vs send size for Socket.SendAsync and SendPinnedAsync from a run.sh output.

Usage: bench/ZeroCopy.Net.Bench.Pinned/veth/chart.py results.txt docs/images/sendpinned-throughput.svg
Reads the harness's "# mode=udp write=stamp ..." headers and the markdown table lines that follow
("| udp | 8 KiB | min / med / max | ... |"), and the raw-C lines of the same run
("raw-zerocopy-huge 65536 1 13.01"). Writes a plain SVG (no plotting library needed): one panel per
(transport, workload), medians as lines, the min..max spread as bars, the raw-C ceiling of the same
workload as dashed lines (MSG_ZEROCOPY on huge pages; a copying send on 4 KiB pages, like a byte[]),
and the crossover (where SendPinnedAsync's median first beats the BCL's) marked.
"""
import re
import statistics
import sys

rows = {}
raw = {}
mode = ("tcp", "stamp")
for line in open(sys.argv[1], encoding="utf-8"):
    header = re.match(r"# mode=(\w+) write=(\w+)", line)
    if header:
        mode = (header.group(1), header.group(2))
        continue
    workload = re.match(r"## raw C .*write=(\w+)", line)
    if workload:
        raw_write = workload.group(1)
        continue
    m = re.match(r"\|\s*(udp|tcp)\s*\|\s*(\d+) KiB\s*\|\s*([\d.]+) / ([\d.]+) / ([\d.]+)\s*\|\s*([\d.]+) / ([\d.]+) / ([\d.]+)\s*\|", line)
    if m:
        size = int(m.group(2))
        v = [float(x) for x in m.groups()[2:]]
        rows.setdefault(mode, []).append((size, v[0:3], v[3:6]))
        continue
    r = re.match(r"raw-(copy|zerocopy)-(4k|huge) (\d+) \d+ ([\d.]+)", line)
    if r:
        key = (raw_write, r.group(1), r.group(2))
        raw.setdefault(key, {}).setdefault(int(r.group(3)) // 1024, []).append(float(r.group(4)))

W, H, PAD = 420, 300, 50
panels = sorted(rows, key=lambda k: (k[0] != "udp", k[1] != "stamp"))
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W * len(panels)}" height="{H + 40}" font-family="sans-serif" font-size="12">',
       '<rect width="100%" height="100%" fill="white"/>']
for p, (transport, write) in enumerate(panels):
    data = sorted(rows[(transport, write)])
    ceilings = []
    if transport == "udp":
        for kind, pages, color, label in (("zerocopy", "huge", "#1f77b4", "raw C MSG_ZEROCOPY, huge pages"),
                                          ("copy", "4k", "#d62728", "raw C copy, 4 KiB pages")):
            medians = raw.get((write, kind, pages), {})
            if medians:
                ceilings.append(([statistics.median(medians.get(s, [0])) for s, _, _ in data], color, label))
    x0 = p * W
    ymax = max([max(b[2], z[2]) for _, b, z in data] + [max(c) for c, _, _ in ceilings]) * 1.15
    sizes = [s for s, _, _ in data]

    def X(i):
        return x0 + PAD + i * (W - 2 * PAD) / max(1, len(sizes) - 1)

    def Y(v):
        return H - PAD + 20 - v / ymax * (H - 2 * PAD)

    title = (f"UDP + UDP_SEGMENT, veth drop rig, write={write}" if transport == "udp"
             else "TCP loopback (kernel copies)")
    svg.append(f'<text x="{x0 + W / 2}" y="18" text-anchor="middle" font-weight="bold">{title}</text>')
    svg.append(f'<line x1="{x0 + PAD}" y1="{Y(0)}" x2="{x0 + W - PAD}" y2="{Y(0)}" stroke="black"/>')
    svg.append(f'<line x1="{x0 + PAD}" y1="{Y(0)}" x2="{x0 + PAD}" y2="{Y(ymax)}" stroke="black"/>')
    for k in range(5):
        v = ymax * k / 4
        svg.append(f'<text x="{x0 + PAD - 6}" y="{Y(v) + 4}" text-anchor="end">{v:.1f}</text>')
    svg.append(f'<text x="{x0 + 14}" y="{Y(ymax / 2)}" transform="rotate(-90 {x0 + 14} {Y(ymax / 2)})" text-anchor="middle">GB/s</text>')
    for i, s in enumerate(sizes):
        svg.append(f'<text x="{X(i)}" y="{Y(0) + 16}" text-anchor="middle">{s} KiB</text>')
    legend_y = 36
    for name, idx, color, dx in (("Socket.SendAsync", 1, "#d62728", -4), ("SendPinnedAsync", 2, "#1f77b4", 4)):
        pts = []
        for i, row in enumerate(data):
            lo, med, hi = row[idx]
            pts.append(f"{X(i)},{Y(med)}")
            svg.append(f'<line x1="{X(i) + dx}" y1="{Y(lo)}" x2="{X(i) + dx}" y2="{Y(hi)}" stroke="{color}" stroke-width="3" opacity="0.4"/>')
            svg.append(f'<circle cx="{X(i)}" cy="{Y(med)}" r="3" fill="{color}"/>')
        svg.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="{color}" stroke-width="2"/>')
        svg.append(f'<line x1="{x0 + PAD + 10}" y1="{legend_y}" x2="{x0 + PAD + 30}" y2="{legend_y}" stroke="{color}" stroke-width="2"/>')
        svg.append(f'<text x="{x0 + PAD + 36}" y="{legend_y + 4}">{name} (median, bar = min..max)</text>')
        legend_y += 14
    for values, color, label in ceilings:
        pts = " ".join(f"{X(i)},{Y(v)}" for i, v in enumerate(values))
        svg.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.5" stroke-dasharray="5 4" opacity="0.8"/>')
        svg.append(f'<line x1="{x0 + PAD + 10}" y1="{legend_y}" x2="{x0 + PAD + 30}" y2="{legend_y}" stroke="{color}" stroke-width="1.5" stroke-dasharray="5 4"/>')
        svg.append(f'<text x="{x0 + PAD + 36}" y="{legend_y + 4}">{label} (median)</text>')
        legend_y += 14
    for i, (s, b, z) in enumerate(data):
        if z[1] > b[1]:
            svg.append(f'<line x1="{X(i)}" y1="{Y(0)}" x2="{X(i)}" y2="{Y(ymax)}" stroke="gray" stroke-dasharray="4 3"/>')
            svg.append(f'<text x="{X(i) + 4}" y="{Y(ymax) + 100}" fill="gray">crossover: {s} KiB</text>')
            break
svg.append("</svg>")
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(svg) + "\n")
