import Foundation

/// RUN_DIR/index.html: one self-contained page (no external files, scripts or fonts) with the
/// run's final metrics, loss curves as inline SVG, the galleries embedded as PNG data: URIs,
/// the settings and a per-epoch table. The markup is also well-formed XML, so a test can read
/// it back with an XML parser.
public struct RunReport {
    public struct Gallery {
        public var name: String
        public var caption: String
        /// The picture's bytes, PNG unless `mime` says otherwise (a loaded exporter's GIF).
        public var png: [UInt8]
        public var mime: String
        public init(name: String, caption: String = "", png: [UInt8], mime: String = "image/png") {
            self.name = name; self.caption = caption; self.png = png; self.mime = mime
        }
    }

    public var title: String
    /// Shown in this order, e.g. every option of the run.
    public var settings: [(name: String, value: String)]
    public var epochs: [EpochReport]
    public var galleries: [Gallery]
    /// Each latent dimension's average KL at the last epoch, nats per image (empty: no chart).
    public var klPerDimension: [Double]

    public init(title: String = "vaepipe run", settings: [(name: String, value: String)],
                epochs: [EpochReport], galleries: [Gallery], klPerDimension: [Double] = []) {
        self.title = title; self.settings = settings; self.epochs = epochs; self.galleries = galleries
        self.klPerDimension = klPerDimension
    }

    /// Written atomically, so a browser refreshing mid-run never sees half a page.
    public func write(to path: String) throws {
        try AtomicFile.write(Data(html().utf8), to: path)
    }

    public func html() -> String {
        var page = """
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
        <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>\(Markup.escape(title))</title>
        <style>\(Self.css)</style>
        </head>
        <body>
        <main>
        <header><h1>\(Markup.escape(title))</h1><p class="sub">\(Markup.escape(subtitle))</p></header>\n
        """
        page += metricsSection() + curvesSection() + groupSection() + latentSection() + gallerySection() + settingsSection() + epochsSection()
        page += "<footer>Written by vaepipe \(VAEPipeVersion.current).</footer>\n</main>\n</body>\n</html>\n"
        return page
    }

    var subtitle: String {
        let seconds = epochs.reduce(0) { $0 + $1.seconds }
        let count = epochs.count == 1 ? "1 epoch" : "\(epochs.count) epochs"
        return epochs.isEmpty ? "no completed epochs yet" : "\(count) · \(Self.duration(seconds)) of training"
    }

    // MARK: - Sections

    func metricsSection() -> String {
        guard let last = epochs.last else { return "" }
        var cards: [(String, String)] = [("Epochs", "\(last.epoch)"), ("Train loss (−ELBO)", Self.nats(last.trainLoss))]
        if let objective = last.trainObjective { cards.append(("Train objective", Self.nats(objective))) }
        if let test = last.testNegELBO { cards.append(("Test −ELBO", Self.nats(test))) }
        if let bits = last.testBitsPerDim { cards.append(("Test bits/dim", String(format: "%.4f", bits))) }
        if let psnr = last.testPSNR { cards.append(("Test PSNR", String(format: "%.2f dB", psnr))) }
        if let active = last.activeUnits { cards.append(("Active units", "\(active)")) }
        cards.append(("Reconstruction", Self.trainTest(last.trainReconstruction, last.testReconstruction)))
        cards.append(("KL", Self.trainTest(last.trainKL, last.testKL)))
        cards.append(("Throughput", String(format: "%.0f images/s", last.examplesPerSecond)))
        var s = "<section id=\"metrics\">\n<h2>Final metrics <span class=\"unit\">epoch \(last.epoch), nats per image"
        s += last.testNegELBO == nil ? "" : "; train / test"
        s += "</span></h2>\n<div class=\"cards\">\n"
        for (name, value) in cards {
            s += "<div class=\"card\"><div class=\"name\">\(Markup.escape(name))</div><div class=\"value\">\(Markup.escape(value))</div></div>\n"
        }
        return s + "</div>\n</section>\n"
    }

    func curvesSection() -> String {
        guard !epochs.isEmpty else { return "" }
        var s = "<section id=\"curves\">\n<h2>Loss curves</h2>\n<div class=\"charts\">\n"
        for chart in charts {
            let drawn = chart.series.filter { !$0.points.isEmpty }
            let keys = drawn.count < 2 ? "" : Self.keys(drawn.map { ($0.name, $0.color) })
            s += "<figure class=\"chart-box\"><figcaption>\(Markup.escape(chart.title))\(keys)</figcaption>\n\(chart.svg())\n</figure>\n"
        }
        return s + "</div>\n</section>\n"
    }

    /// Train and test on one chart each, so overfitting shows as the lines parting.
    var charts: [LossChart] {
        func series(_ name: String, _ color: String, _ value: (EpochReport) -> Double?) -> LossChart.Series {
            LossChart.Series(name: name, color: color, points: epochs.compactMap { e in
                value(e).flatMap { $0.isFinite ? (x: Double(e.epoch), y: $0) : nil }
            })
        }
        let train = "#2563eb", test = "#ea580c"
        return [
            LossChart(title: "Loss (negative ELBO)", yLabel: "nats per image",
                      series: [series("train", train) { $0.trainLoss }, series("test", test) { $0.testNegELBO }]),
            LossChart(title: "Reconstruction", yLabel: "nats per image",
                      series: [series("train", train) { $0.trainReconstruction },
                               series("test", test) { $0.testReconstruction }]),
            LossChart(title: "KL divergence", yLabel: "nats per image",
                      series: [series("train", train) { $0.trainKL }, series("test", test) { $0.testKL }]),
        ]
    }

    /// How many latent dimensions the model uses, and how much each carries.
    func latentSection() -> String {
        guard !klPerDimension.isEmpty else { return "" }
        let chart = KLChart(kl: klPerDimension), k = klPerDimension.count, on = chart.activeCount
        var s = "<section id=\"latent\">\n<h2>Latent dimensions <span class=\"unit\">KL per dimension, nats per image, last epoch</span></h2>\n"
        s += "<figure class=\"chart-box\"><figcaption>\(on) of \(k) dimensions over 0.01 nats"
        s += Self.keys([("active", KLChart.active), ("inactive (under \(KLChart.inactiveBelow) nats)", KLChart.inactive)])
        s += "</figcaption>\n\(chart.svg())\n"
        s += "<p class=\"note\">Largest first, as in the traversals; an inactive dimension carries next to nothing about the image "
        s += "(its posterior stays at the prior: posterior collapse).</p></figure>\n"
        return s + "</section>\n"
    }

    /// The hierarchy's latent groups: a bar per group, its KL per test image at the last epoch,
    /// in decoder order (the top group first), so a group the model stopped using stands out.
    func groupSection() -> String {
        guard let groups = epochs.last?.testKLGroups, !groups.isEmpty else { return "" }
        let top = max(groups.max() ?? 0, 1e-9)
        var s = "<section id=\"groups\">\n<h2>Latent groups <span class=\"unit\">KL per group, nats per test image, last epoch</span></h2>\n"
        let units = epochs.last?.activeUnitsGroups
        s += "<table class=\"groups\"><tr><th>group</th><th>KL</th>" + (units != nil ? "<th>active units</th>" : "") + "<th></th></tr>\n"
        for (g, kl) in groups.enumerated() {
            let width = String(format: "%.1f", 100 * max(0, kl) / top)
            s += "<tr><td>\(g + 1)</td><td>" + String(format: "%.2f", kl) + (units.map { g < $0.count ? "</td><td>\($0[g])" : "</td><td>" } ?? "")
            s += "</td><td style=\"width: 60%\"><div style=\"background: \(KLChart.active); height: 0.8em; width: \(width)%\"></div></td></tr>\n"
        }
        return s + "</table>\n<p class=\"note\">Group 1 is the top (4x4) group, drawn first; later groups are larger sides.</p>\n</section>\n"
    }

    /// A chart's legend, beside its title: a swatch of each colour and what it stands for.
    static func keys(_ entries: [(name: String, color: String)]) -> String {
        "<span class=\"keys\">" + entries.map { entry in
            "<span class=\"key\"><span class=\"swatch\" style=\"background: \(entry.color)\"></span>\(Markup.escape(entry.name))</span>"
        }.joined() + "</span>"
    }

    func gallerySection() -> String {
        guard !galleries.isEmpty else { return "" }
        var s = "<section id=\"galleries\">\n<h2>Galleries</h2>\n<div class=\"galleries\">\n"
        for g in galleries {
            var size = ""
            if let (w, h) = Self.pngSize(g.png) ?? Self.gifSize(g.png) { size = " width=\"\(w)\" height=\"\(h)\"" }
            s += "<figure class=\"gallery\"><img src=\"data:\(Markup.escape(g.mime));base64,\(Data(g.png).base64EncodedString())\""
            s += " alt=\"\(Markup.escape(g.name))\"\(size)/>"
            s += "<figcaption><strong>\(Markup.escape(g.name))</strong>"
            s += g.caption.isEmpty ? "" : " <span>\(Markup.escape(g.caption))</span>"
            s += "</figcaption></figure>\n"
        }
        return s + "</div>\n</section>\n"
    }

    func settingsSection() -> String {
        guard !settings.isEmpty else { return "" }
        var s = "<section id=\"settings\">\n<h2>Settings</h2>\n<table class=\"settings\">\n"
        for (name, value) in settings {
            s += "<tr><td>\(Markup.escape(name))</td><td>\(Markup.escape(value))</td></tr>\n"
        }
        return s + "</table>\n</section>\n"
    }

    func epochsSection() -> String {
        guard !epochs.isEmpty else { return "" }
        let headers = ["epoch", "train loss", "train recon.", "train KL", "test −ELBO", "test recon.", "test KL",
                       "bits/dim", "PSNR (dB)", "active", "seconds", "images/s"]
        var s = "<section id=\"epochs\">\n<details><summary>Every epoch (\(epochs.count))</summary>\n<table class=\"epochs\">\n<tr>"
        s += headers.map { "<th class=\"num\">\($0)</th>" }.joined() + "</tr>\n"
        for e in epochs {
            let cells = ["\(e.epoch)", Self.nats(e.trainLoss), Self.nats(e.trainReconstruction), Self.nats(e.trainKL),
                         Self.nats(e.testNegELBO), Self.nats(e.testReconstruction), Self.nats(e.testKL),
                         e.testBitsPerDim.map { String(format: "%.4f", $0) } ?? "—", e.testPSNR.map { String(format: "%.2f", $0) } ?? "—",
                         e.activeUnits.map { "\($0)" } ?? "—",
                         String(format: "%.1f", e.seconds), String(format: "%.0f", e.examplesPerSecond)]
            s += "<tr>" + cells.map { "<td class=\"num\">\($0)</td>" }.joined() + "</tr>\n"
        }
        return s + "</table>\n</details>\n</section>\n"
    }

    // MARK: - Formatting

    static func nats(_ value: Double?) -> String {
        guard let value else { return "—" }
        return String(format: "%.2f", value)
    }

    static func trainTest(_ train: Double, _ test: Double?) -> String {
        test == nil ? nats(train) : "\(nats(train)) / \(nats(test))"
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3600) h \(whole % 3600 / 60) min"
    }

    /// Width and height from the IHDR chunk, which the PNG format puts first, right after the
    /// 8-byte signature; nil for anything that is not a PNG.
    static func gifSize(_ gif: [UInt8]) -> (Int, Int)? {
        guard gif.count >= 10, gif.prefix(4).elementsEqual(Array("GIF8".utf8)) else { return nil }
        return (Int(gif[6]) | Int(gif[7]) << 8, Int(gif[8]) | Int(gif[9]) << 8)
    }

    static func pngSize(_ png: [UInt8]) -> (Int, Int)? {
        guard png.count >= 24, png.prefix(8).elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { return nil }
        func be32(_ o: Int) -> Int { png[o..<(o + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    static let css = """

    :root { --ink: #1f2328; --muted: #656d76; --line: #d0d7de; --soft: #f6f8fa; --accent: #2563eb; }
    * { box-sizing: border-box; }
    body { margin: 0; color: var(--ink); background: #fff;
           font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    main { max-width: 1200px; margin: 0 auto; padding: 28px 32px 48px; }
    h1 { margin: 0 0 2px; font-size: 26px; }
    .sub { margin: 0; color: var(--muted); }
    h2 { font-size: 18px; margin: 32px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
    h2 .unit { font-size: 13px; font-weight: 400; color: var(--muted); margin-left: 8px; }
    .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 12px; }
    .card { background: var(--soft); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
    .card .name { font-size: 13px; color: var(--muted); }
    .card .value { font-size: 21px; font-weight: 600; font-variant-numeric: tabular-nums; }
    .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 16px; }
    figure { margin: 0; }
    .chart-box { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px 4px; }
    .chart-box figcaption { font-weight: 600; }
    svg.chart { display: block; width: 100%; height: auto; }
    .note { margin: 4px 0 6px; font-size: 13px; color: var(--muted); }
    svg .grid { stroke: #eaeef2; }
    svg .axis { stroke: #8c959f; }
    .chart-box .keys { float: right; font-size: 13px; font-weight: 400; color: var(--muted); }
    .chart-box .key { margin-left: 14px; }
    .chart-box .swatch { display: inline-block; width: 14px; height: 3px; margin-right: 5px; vertical-align: middle; border-radius: 2px; }
    svg .tick { font-size: 13px; fill: var(--muted); }
    svg .label { font-size: 13px; fill: var(--ink); }
    svg .series { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
    .galleries { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
    .gallery img { display: block; max-width: 100%; height: auto; image-rendering: pixelated;
                   border: 1px solid var(--line); border-radius: 4px; }
    .gallery figcaption { margin-top: 6px; font-size: 14px; }
    .gallery figcaption span { color: var(--muted); }
    table { border-collapse: collapse; font-size: 14px; }
    th, td { text-align: left; padding: 4px 16px 4px 0; border-bottom: 1px solid #eaeef2; vertical-align: top; }
    th { color: var(--muted); font-weight: 500; }
    .num { text-align: right; font-variant-numeric: tabular-nums; }
    .settings td:first-child { color: var(--muted); font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
    details summary { cursor: pointer; color: var(--accent); margin-bottom: 8px; }
    footer { margin-top: 40px; font-size: 13px; color: var(--muted); }

    """
}
