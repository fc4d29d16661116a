/// What dlopen would trip over in a would-be plugin, read from the file's bytes before dlopen
/// sees them. dlopen maps a shared object's segments as its program headers describe them and
/// then follows the dynamic section's addresses: a file cut short while being copied maps pages
/// the file does not have (SIGBUS on the first touch), and a header pointing anywhere sends the
/// loader there. So every header, every loaded segment, the dynamic section and the tables it
/// names must lie inside the file, and the file must be a 64-bit little-endian shared object for
/// this machine.
public enum SharedObjectCheck {
    /// The ELF machine this vaepipe runs on.
    #if arch(x86_64)
    public static let hostMachine: UInt16 = 62
    #elseif arch(arm64)
    public static let hostMachine: UInt16 = 183
    #else
    public static let hostMachine: UInt16 = 0
    #endif

    /// Why `bytes` cannot be dlopen'ed safely as a plugin, or nil when they can be.
    public static func problem(in bytes: [UInt8]) -> String? {
        do { try check(ELFBytes(bytes)); return nil } catch { return error.reason }
    }

    struct Refusal: Error { let reason: String }

    public static func machineName(_ m: UInt16) -> String {
        switch m {
        case 2: return "SPARC"; case 3: return "32-bit x86"; case 8: return "MIPS"; case 20: return "PowerPC"
        case 21: return "64-bit PowerPC"; case 22: return "IBM S/390"; case 40: return "32-bit ARM"
        case 43: return "SPARC V9"; case 62: return "x86-64"; case 183: return "AArch64 (64-bit ARM)"
        case 243: return "RISC-V"; case 258: return "LoongArch"
        default: return "ELF machine \(m)"
        }
    }

    private struct Segment { let offset, vaddr, filesz, memsz: UInt64; let flags: UInt32 }

    private static func check(_ f: ELFBytes) throws(Refusal) {
        let size = UInt64(f.count)
        func refuse(_ reason: String) -> Refusal { Refusal(reason: reason) }
        func cut(_ what: String, _ end: UInt64) -> Refusal {
            refuse("it is cut short or damaged: \(what) ends at byte \(end), but the file has \(size) bytes (a copy that did not finish?)")
        }
        guard size >= 64 else { throw refuse("it is cut short: \(size) bytes, less than an ELF header") }
        guard f[4] == 2 else { throw refuse(f[4] == 1 ? "it is a 32-bit ELF file; this vaepipe loads 64-bit shared objects" : "its ELF class \(f[4]) is neither 32- nor 64-bit") }
        guard f[5] == 1 else { throw refuse(f[5] == 2 ? "it is a big-endian ELF file; this machine is little-endian" : "its ELF data encoding \(f[5]) is unknown") }
        guard f[6] == 1, f.u32(20) == 1 else { throw refuse("its ELF version is not 1") }
        let machine = f.u16(18)
        guard machine == hostMachine else {
            throw refuse("it was built for \(machineName(machine)); this machine is \(machineName(hostMachine))")
        }
        switch f.u16(16) {
        case 3: break
        case 1: throw refuse("it is an object file (.o), not a shared object: link it with -shared")
        case 2: throw refuse("it is an executable, not a shared object: build the plugin with -shared")
        case 4: throw refuse("it is a core dump, not a shared object")
        case let t: throw refuse("its ELF type \(t) is not a shared object (3)")
        }

        // Section headers: dlopen never reads them, but they come last in a linked file, so
        // they are where a copy cut short shows first.
        let shoff = f.u64(40), shnum = UInt64(f.u16(60)), shentsize = UInt64(f.u16(58))
        if shnum > 0 {
            guard shentsize == 64 else { throw refuse("its section header size is \(shentsize) bytes, not 64") }
            let (end, over) = shoff.addingReportingOverflow(shnum * 64)
            guard !over, end <= size else { throw cut("its section header table", over ? .max : end) }
        }

        let phoff = f.u64(32), phnum = UInt64(f.u16(56)), phentsize = UInt64(f.u16(54))
        guard phentsize == 56 else { throw refuse("its program header size is \(phentsize) bytes, not 64-bit ELF's 56") }
        guard phnum > 0 else { throw refuse("it has no program headers: nothing to load") }
        let (phend, phover) = phoff.addingReportingOverflow(phnum * 56)
        guard !phover, phend <= size else { throw cut("its program header table", phover ? .max : phend) }

        var loads: [Segment] = []
        var dynamic: Segment?
        for i in 0..<phnum {
            let at = Int(phoff + i * 56)
            let type = f.u32(at)
            let s = Segment(offset: f.u64(at + 8), vaddr: f.u64(at + 16), filesz: f.u64(at + 32), memsz: f.u64(at + 40), flags: f.u32(at + 4))
            let (end, over) = s.offset.addingReportingOverflow(s.filesz)
            switch type {
            case 1:  // PT_LOAD
                guard !over, end <= size else { throw cut("loadable segment \(loads.count + 1) (program header \(i))", over ? .max : end) }
                guard s.filesz <= s.memsz else { throw refuse("loadable segment \(loads.count + 1) holds more of the file (\(s.filesz) bytes) than of memory (\(s.memsz))") }
                guard s.memsz <= 1 << 32, s.vaddr <= 1 << 46 else { throw refuse("loadable segment \(loads.count + 1) asks for \(s.memsz) bytes at \(s.vaddr): not a real library") }
                let align = f.u64(at + 48)
                if align > 1 {
                    guard align & (align - 1) == 0 else { throw refuse("loadable segment \(loads.count + 1) has alignment \(align), not a power of two") }
                    guard s.vaddr % align == s.offset % align else { throw refuse("loadable segment \(loads.count + 1)'s address and file offset disagree modulo its alignment") }
                }
                if let last = loads.last, s.vaddr < last.vaddr { throw refuse("its loadable segments are not in address order") }
                loads.append(s)
            case 2:  // PT_DYNAMIC
                guard !over, end <= size else { throw cut("the dynamic section", over ? .max : end) }
                guard dynamic == nil else { throw refuse("it has two dynamic sections") }
                dynamic = s
            default:
                // Other headers that lie past the end (PT_INTERP, PT_NOTE, ...) are read too.
                if type == 3 || type == 4 || type == 7 { guard !over, end <= size else { throw cut("program header \(i)", over ? .max : end) } }
            }
        }
        guard !loads.isEmpty else { throw refuse("it has no loadable segment") }
        guard let dynamic else { throw refuse("it has no dynamic section: a static executable, not a shared object") }
        guard dynamic.filesz >= 16 else { throw refuse("its dynamic section is empty") }

        // Where an address of the loaded image lies: in which segment's memory, and (for the
        // tables the loader reads) at which offset of the file.
        func inMemory(_ address: UInt64, _ length: UInt64) -> Bool {
            loads.contains { s in
                address >= s.vaddr && address - s.vaddr <= s.memsz && length <= s.memsz - (address - s.vaddr)
            }
        }
        func fileOffset(_ address: UInt64, _ length: UInt64) -> UInt64? {
            for s in loads where address >= s.vaddr && address - s.vaddr <= s.filesz && length <= s.filesz - (address - s.vaddr) {
                return s.offset + (address - s.vaddr)
            }
            return nil
        }
        guard fileOffset(dynamic.vaddr, dynamic.filesz) != nil else { throw refuse("its dynamic section is not inside a loadable segment") }

        var tags: [Int64: UInt64] = [:]
        var needed: [UInt64] = []
        var ended = false
        for i in 0..<(dynamic.filesz / 16) {
            let at = Int(dynamic.offset + i * 16)
            let tag = Int64(bitPattern: f.u64(at)), value = f.u64(at + 8)
            if tag == 0 { ended = true; break }
            if tag == 1 { needed.append(value) } else { tags[tag] = value }
        }
        guard ended else { throw refuse("its dynamic section has no end (DT_NULL)") }
        if let flags1 = tags[0x6fff_fffb], flags1 & 0x0800_0000 != 0 {  // DT_FLAGS_1 has DF_1_PIE
            throw refuse("it is an executable (position-independent), not a shared object: build the plugin with -shared")
        }

        guard let strtab = tags[5], let strsz = tags[10] else { throw refuse("its dynamic section names no string table") }
        guard let symtab = tags[6] else { throw refuse("its dynamic section names no symbol table") }
        guard let strOffset = fileOffset(strtab, strsz) else { throw refuse("its string table (\(strsz) bytes at \(strtab)) lies outside the file") }
        func string(_ offset: UInt64, _ what: String) throws(Refusal) {
            guard offset < strsz else { throw refuse("its \(what) name lies past the end of its string table") }
            var i = strOffset + offset
            while i < strOffset + strsz, f[Int(i)] != 0 { i += 1 }
            guard i < strOffset + strsz else { throw refuse("its \(what) name has no end in its string table") }
        }
        for n in needed { try string(n, "needed library") }
        for (tag, what) in [(Int64(14), "soname"), (15, "rpath"), (29, "runpath")] { if let v = tags[tag] { try string(v, what) } }

        // Every other address the loader follows, with the length it reads there.
        let syment = tags[11] ?? 24
        guard syment == 24 else { throw refuse("its symbols are \(syment) bytes each, not 64-bit ELF's 24") }
        guard fileOffset(symtab, 24) != nil else { throw refuse("its symbol table lies outside the file") }
        let tables: [(Int64, Int64?, String)] = [
            (4, nil, "hash table"), (0x6fff_fef5, nil, "GNU hash table"), (0x6fff_fff0, nil, "symbol version table"),
            (0x6fff_fffc, nil, "version definitions"), (0x6fff_fffe, nil, "version needs"),
            (7, 8, "relocation table"), (23, 2, "PLT relocation table"), (17, 18, "REL relocation table"), (36, 35, "RELR table"),
            (25, 27, "initialiser array"), (26, 28, "finaliser array"), (32, 33, "preinitialiser array"),
        ]
        for (tag, sizeTag, what) in tables {
            guard let address = tags[tag] else { continue }
            let length = sizeTag.flatMap { tags[$0] } ?? 1
            guard fileOffset(address, length) != nil || (tag == 25 || tag == 26 || tag == 32) && inMemory(address, length) else {
                throw refuse("its \(what) (\(length) bytes at \(address)) lies outside the file")
            }
        }
        for (tag, what) in [(Int64(12), "initialiser"), (13, "finaliser")] {
            if let address = tags[tag], !inMemory(address, 1) { throw refuse("its \(what) function at \(address) lies outside its segments") }
        }

        // Relocations write into the loaded image: every target must be in it, and every
        // symbol they name must be in the symbol table.
        let symbolCount: UInt64? = tags[4].flatMap { fileOffset($0, 8) }.map { UInt64(f.u32(Int($0) + 4)) }
            ?? (symtab < strtab ? (strtab - symtab) / 24 : nil)
        for (tableTag, sizeTag) in [(Int64(7), Int64(8)), (23, 2)] {
            guard let address = tags[tableTag], let length = tags[sizeTag], let offset = fileOffset(address, length) else { continue }
            if tableTag == 7, let entry = tags[9], entry != 24 { throw refuse("its relocations are \(entry) bytes each, not 24") }
            for r in 0..<(length / 24) {
                let at = Int(offset + r * 24)
                let target = f.u64(at), symbol = f.u64(at + 8) >> 32
                guard inMemory(target, 8) else { throw refuse("relocation \(r) writes to \(target), outside its segments") }
                if let symbolCount, symbol >= symbolCount { throw refuse("relocation \(r) names symbol \(symbol) of \(symbolCount)") }
            }
        }
    }
}

/// Little-endian reads from a file's bytes. Callers check the ranges first; a read past the end
/// gives zeros rather than trapping, so a missed check is a wrong answer, not a crash.
struct ELFBytes {
    private let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var count: Int { bytes.count }
    subscript(_ i: Int) -> UInt8 { i >= 0 && i < bytes.count ? bytes[i] : 0 }
    func u16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
    func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
}
