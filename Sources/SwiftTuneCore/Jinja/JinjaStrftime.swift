// Python's `datetime.strftime` for `strftime_now`: the C89 codes in the C locale (English names), plus the
// glibc extensions Python passes through on Linux (`%-d`, `%e`, `%k`, …).

import Foundation

enum JinjaStrftime {
    static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                         "October", "November", "December"]

    /// Formats `date` in `timeZone` like `datetime.now().strftime(format)`.
    static func format(_ format: String, date: Date, timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday, .nanosecond], from: date)
        let year = c.year ?? 1970, month = c.month ?? 1, day = c.day ?? 1
        let hour = c.hour ?? 0, minute = c.minute ?? 0, second = c.second ?? 0
        let weekday = (c.weekday ?? 1) - 1
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        func pad(_ n: Int, _ width: Int, _ fill: Character = "0") -> String {
            let s = String(n)
            return String(repeating: fill, count: max(0, width - s.count)) + s
        }
        var out = ""
        let scalars = Array(format)
        var i = 0
        while i < scalars.count {
            let ch = scalars[i]
            guard ch == "%", i + 1 < scalars.count else { out.append(ch); i += 1; continue }
            var code = scalars[i + 1]
            var noPad = false
            i += 2
            if code == "-", i < scalars.count {
                noPad = true
                code = scalars[i]
                i += 1
            }
            func number(_ n: Int, _ width: Int, _ fill: Character = "0") -> String { noPad ? String(n) : pad(n, width, fill) }
            let hour12 = hour % 12 == 0 ? 12 : hour % 12
            switch code {
            case "Y": out += String(year)
            case "y": out += number(year % 100, 2)
            case "m": out += number(month, 2)
            case "d": out += number(day, 2)
            case "e": out += noPad ? String(day) : pad(day, 2, " ")
            case "j": out += number(dayOfYear, 3)
            case "H": out += number(hour, 2)
            case "k": out += noPad ? String(hour) : pad(hour, 2, " ")
            case "I": out += number(hour12, 2)
            case "l": out += noPad ? String(hour12) : pad(hour12, 2, " ")
            case "M": out += number(minute, 2)
            case "S": out += number(second, 2)
            case "f": out += pad((c.nanosecond ?? 0) / 1000, 6)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "P": out += hour < 12 ? "am" : "pm"
            case "a": out += String(weekdays[weekday].prefix(3))
            case "A": out += weekdays[weekday]
            case "b", "h": out += String(months[month - 1].prefix(3))
            case "B": out += months[month - 1]
            case "w": out += String(weekday)
            case "u": out += String(weekday == 0 ? 7 : weekday)
            case "D": out += pad(month, 2) + "/" + pad(day, 2) + "/" + pad(year % 100, 2)
            case "F": out += String(year) + "-" + pad(month, 2) + "-" + pad(day, 2)
            case "T": out += pad(hour, 2) + ":" + pad(minute, 2) + ":" + pad(second, 2)
            case "R": out += pad(hour, 2) + ":" + pad(minute, 2)
            case "c":
                out += String(weekdays[weekday].prefix(3)) + " " + String(months[month - 1].prefix(3)) + " "
                    + pad(day, 2, " ") + " " + pad(hour, 2) + ":" + pad(minute, 2) + ":" + pad(second, 2) + " " + String(year)
            case "x": out += pad(month, 2) + "/" + pad(day, 2) + "/" + pad(year % 100, 2)
            case "X": out += pad(hour, 2) + ":" + pad(minute, 2) + ":" + pad(second, 2)
            case "Z": out += timeZone.abbreviation(for: date) ?? ""
            case "z":
                let offset = timeZone.secondsFromGMT(for: date)
                out += (offset < 0 ? "-" : "+") + pad(abs(offset) / 3600, 2) + pad(abs(offset) % 3600 / 60, 2)
            case "n": out += "\n"
            case "t": out += "\t"
            case "%": out += "%"
            default:
                out += "%" + (noPad ? "-" : "") + String(code)
            }
        }
        return out
    }
}
