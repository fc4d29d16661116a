import ArgumentParser

/// `--time-budget`: a duration as 90s, 10m, 1h, 1h30m or plain seconds.
struct TimeBudget: ExpressibleByArgument, CustomStringConvertible {
    let seconds: Double
    let description: String

    init?(argument: String) {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        var total = 0.0, number = ""
        for ch in argument {
            if ch.isNumber || ch == "." { number.append(ch); continue }
            guard let unit = units[ch], let n = Double(number) else { return nil }
            total += n * unit
            number = ""
        }
        if !number.isEmpty {
            guard let n = Double(number), total == 0 else { return nil }  // "10m5" is ambiguous
            total = n
        }
        guard total > 0, total.isFinite, total <= 366 * 86_400 else { return nil }
        seconds = total
        description = argument
    }

    static var defaultValueDescription: String { "none" }
}

extension TrainingAids.Schedule: ExpressibleByArgument {}
