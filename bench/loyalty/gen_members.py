#!/usr/bin/env python3
"""Writes a deterministic member file for the loyalty import benchmark.

Usage: gen_members.py ROWS OUT.csv
Columns: phone, member_no, name, registered_at, store, tier, points, stored_value. Stores are
S001..S020, tiers 普卡 / 银卡 / 金卡 / 钻石卡 (60/25/10/5 %); one member in five has no stored value.
"""
import sys

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "芳伟娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
TIERS = ["普卡"] * 12 + ["银卡"] * 5 + ["金卡"] * 2 + ["钻石卡"]


def main():
    rows, out = int(sys.argv[1]), sys.argv[2]
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("phone,member_no,name,registered_at,store,tier,points,stored_value\n")
        lines = []
        for i in range(rows):
            day = (i * 7919) % 2500  # within about seven years from 2018-01-01
            y, rest = 2018 + day // 365, day % 365
            m, d = 1 + rest // 31 % 12, 1 + rest % 28
            h, mi = (i * 13) % 24, (i * 7) % 60
            sv = "" if i % 5 == 0 else "%d.%02d" % ((i * 131) % 500000 // 100, (i * 131) % 100)
            lines.append("139%08d,LM%09d,%s%s,%04d-%02d-%02d %02d:%02d:00,S%03d,%s,%d,%s\n" % (
                i, i + 1, SURNAMES[i % 20], GIVEN[(i // 20) % 20], y, m, d, h, mi, 1 + i % 20,
                TIERS[(i * 17) % 20], (i * 37) % 20000, sv))
            if len(lines) == 10000:
                f.writelines(lines)
                lines.clear()
        f.writelines(lines)


if __name__ == "__main__":
    main()
