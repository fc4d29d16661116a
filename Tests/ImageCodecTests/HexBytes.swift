/// Bytes from a hex literal; whitespace (the literal's line breaks) is ignored.
func hexBytes(_ hex: String) -> [UInt8] {
    let digits = hex.unicodeScalars.compactMap { UInt8(String($0), radix: 16) }
    return stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}
