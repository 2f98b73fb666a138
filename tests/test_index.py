"""The portfolio dashboard: rows in each initiative's language, numbers to sort by, sorting offline."""

import re
import shutil
import subprocess

import pytest

from impact.report.index import write_index

NBSP, MINUS = "\u00a0", "\u2212"


def _records():
    return [
        {"id": "rsa", "title": "RSA : premier rendez-vous", "status": "ok", "language": "fr",
         "estimate": -64.07, "ci_low": -66.95, "ci_high": -61.19, "pvalue": 0.0, "outcome": "delay_days",
         "outcome_label": "délai (days)", "npv": 34_024_401.0, "pv_costs": 63_074_594.0, "bcr": 1.54,
         "prob_npv_negative": 0.143, "verdict": "L'indicateur « délai » a baissé de 64 jours.\nSuite.",
         "report": "report.html",
         "indicators": [{"status": "met"}, {"status": "behind"}, {"status": "on_track"}]},
        {"id": "housing", "title": "Digital <housing> & applications", "status": "ok", "language": "en",
         "estimate": -25.1, "ci_low": -26.2, "ci_high": -24.0, "pvalue": 0.0, "outcome": "processing_days",
         "outcome_label": "processing time (days)", "npv": 1_802_871.0, "pv_costs": 2_100_000.0, "bcr": 1.87,
         "prob_npv_negative": 0.0, "verdict": "The processing time fell by 25 days.", "report": "report.html",
         "indicators": [{"status": "worse"}]},
        {"id": "pilot", "title": "Seniors pilot", "status": "ok", "language": "en", "estimate": 0.6, "ci_low": 0.25,
         "ci_high": 0.96, "npv": -117_911.0, "pv_costs": 876_985.0, "bcr": 0.87, "prob_npv_negative": 0.82,
         "verdict": "It rose.", "report": "report.html"},
        {"id": "broken", "title": "Broken one", "status": "failed", "language": "fr", "error": "DataError: colonne",
         "estimate": None, "ci_low": None, "ci_high": None, "error_page": "error.html"},
    ]


@pytest.fixture()
def page(tmp_path):
    write_index(_records(), tmp_path, "fr")
    return (tmp_path / "index.html").read_text(encoding="utf-8")


def _rows(page):
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r"<tr lang=\"(\w+)\">(.*?)</tr>", body, flags=re.S)


def test_each_row_speaks_its_initiative_language(page):
    rows = dict((re.search(r'href="(\w+)/', r).group(1) if 'href="' in r else "?", (lang, r)) for lang, r in _rows(page))
    assert rows["rsa"][0] == "fr" and rows["housing"][0] == "en"
    assert f"{MINUS}64" in rows["rsa"][1] and "34" + NBSP + "M" + NBSP + "€" in rows["rsa"][1]
    assert "€1.8M" in rows["housing"][1] and "1.87" in rows["housing"][1] and "produced" in rows["housing"][1]
    assert "produit" in rows["rsa"][1] and "1,54" in rows["rsa"][1]
    assert "en échec" in page and 'href="broken/error.html"' in page


def test_user_text_is_escaped(page):
    assert "Digital &lt;housing&gt; &amp; applications" in page and "<housing>" not in page


def test_numeric_cells_carry_sort_values(page):
    cells = re.findall(r'<td class="num" data-sort="([^"]*)">', page)
    assert len(cells) == 4 * 6
    for value in cells:
        assert value == "" or float(value) == float(value)
    estimates = [float(v) for v in re.findall(r'<td class="num" data-sort="([^"]*)">', page)[::6] if v]
    assert estimates == [-64.07, -25.1, 0.6]


def test_dashboard_parts_and_no_network(page):
    assert page.count("<svg") == 3 + 3  # one effect row per ok initiative, one cost/NPV row each
    assert "atteint (1)" in page and "en recul (1)" in page and "en retard (1)" in page
    assert "<script>" in page and "addEventListener" in page and "data-sort" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "the page must work offline"
    cards = re.findall(r'<p class="card-value">([^<]*)</p>', page)
    assert cards[0] == "3 sur 4"  # three reports produced of four


def test_csv_still_lists_every_initiative(tmp_path):
    import pandas as pd

    write_index(_records(), tmp_path, "en")
    frame = pd.read_csv(tmp_path / "results.csv")
    assert list(frame["id"]) == ["rsa", "housing", "pilot", "broken"]


def _browser():
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(_browser() is None, reason="headless Chromium is not installed (apt-get install chromium)")
def test_table_sorts_offline_in_a_headless_browser(tmp_path):
    write_index(_records(), tmp_path, "fr")
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    # Click "Estimation" (third column) twice after load: descending order, through the page's own script.
    click = ("<script>window.addEventListener('load', function () {"
             "var b = document.querySelectorAll('#portfolio th button')[2]; b.click(); b.click();});</script>")
    (tmp_path / "click.html").write_text(page.replace("</body>", click + "</body>"), encoding="utf-8")
    cmd = [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=2000", "--dump-dom",
           (tmp_path / "click.html").as_uri()]
    try:
        dom = subprocess.run(cmd, capture_output=True, text=True, timeout=90).stdout
    except subprocess.TimeoutExpired:
        pytest.skip("headless Chromium did not answer within 90 s")
    if "<tbody>" not in dom:
        pytest.skip("headless Chromium returned no DOM on this machine")
    order = re.findall(r'<td class="num" data-sort="([^"]*)">', dom.split("<tbody>")[1])[::6]
    assert order[:3] == ["0.6", "-25.1", "-64.07"] and order[3] == ""  # descending, blanks last
    assert 'aria-sort="descending"' in dom
