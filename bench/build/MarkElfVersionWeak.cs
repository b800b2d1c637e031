// An MSBuild task (compiled by RoslynCodeTaskFactory from TorchSharpOnDebian12.targets, beside this file) that
// marks one symbol-version requirement of an ELF64 shared library as weak, in place. Why: see the .targets file.
//
// The ELF parts it reads (all little-endian ELF64, as on linux-x64):
//
//   ELF header            e_shoff (u64 @ 0x28), e_shentsize (u16 @ 0x3A), e_shnum (u16 @ 0x3C)
//   section header        sh_type (u32 @ 4), sh_offset (u64 @ 24), sh_size (u64 @ 32), sh_link (u32 @ 40),
//                         sh_info (u32 @ 44), sh_entsize (u64 @ 56)
//   .gnu.version_r        type SHT_GNU_verneed; sh_link = its string table (.dynstr); sh_info = number of Verneed
//   Elf64_Verneed (16 B)  vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32 (→ first Vernaux), vn_next u32
//   Elf64_Vernaux (16 B)  vna_hash u32, vna_flags u16, vna_other u16 (the version index), vna_name u32, vna_next u32
//   .gnu.version          type SHT_GNU_versym: one u16 version index per .dynsym entry (bit 15 = hidden)
//   .dynsym               type SHT_DYNSYM: Elf64_Sym entries of 24 bytes, st_name u32 first
//
// Setting VER_FLG_WEAK (0x2) in vna_flags tells the dynamic loader (glibc's _dl_check_map_versions) that a missing
// version is not fatal. Only the two bytes of vna_flags are written, and only when the flag is not already set.

#nullable enable

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class MarkElfVersionWeak : Task
{
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>The ELF64 files to patch in place.</summary>
    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>The needed version to mark weak, e.g. GLIBCXX_3.4.32.</summary>
    [Required]
    public string Version { get; set; } = "";

    /// <summary>
    /// The only dynamic symbols allowed to carry <see cref="Version"/>, separated by ';'. If any other symbol needs
    /// it, the file is left alone with a warning: marking the version weak would then hide a real dependency.
    /// </summary>
    public string AllowedSymbols { get; set; } = "";

    public override bool Execute()
    {
        foreach (ITaskItem item in Files)
        {
            string path = item.GetMetadata("FullPath");
            if (!File.Exists(path))
            {
                Log.LogMessage(MessageImportance.Low, "MarkElfVersionWeak: {0} does not exist; nothing to do.", path);
                continue;
            }

            try
            {
                Patch(path);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                Log.LogWarning("MarkElfVersionWeak: could not patch {0}: {1}", path, e.Message);
            }
        }

        return !Log.HasLoggedErrors;
    }

    private void Patch(string path)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
        {
            throw new InvalidDataException("not an ELF file");
        }

        if (elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException("not a little-endian ELF64 file");
        }

        ulong shoff = U64(elf, 0x28);
        int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
        if (shoff == 0 || shnum == 0 || shentsize < 64)
        {
            throw new InvalidDataException("no section headers");
        }

        var sections = new Section[shnum];
        for (int i = 0; i < shnum; i++)
        {
            long h = Checked(elf, (long)shoff + ((long)i * shentsize), 64);
            sections[i] = new Section(U32(elf, h + 4), U64(elf, h + 24), U64(elf, h + 32), U32(elf, h + 40), U32(elf, h + 44), U64(elf, h + 56));
        }

        // Walk .gnu.version_r: every Verneed (one per needed library) and its Vernaux entries (one per version).
        Section verneed = sections.FirstOrDefault(s => s.Type == ShtGnuVerneed)
            ?? throw new InvalidDataException("no .gnu.version_r section");
        Section dynstr = At(sections, verneed.Link);
        long auxAt = -1;
        string? library = null;
        long vn = (long)verneed.Offset;
        for (uint i = 0; i < verneed.Info && auxAt < 0; i++)
        {
            Checked(elf, vn, 16);
            int count = U16(elf, vn + 2);
            long aux = vn + U32(elf, vn + 8);
            for (int j = 0; j < count; j++)
            {
                Checked(elf, aux, 16);
                if (Name(elf, dynstr, U32(elf, aux + 8)) == Version)
                {
                    auxAt = aux;
                    library = Name(elf, dynstr, U32(elf, vn + 4));
                    break;
                }

                aux += U32(elf, aux + 12);
            }

            vn += U32(elf, vn + 12);
        }

        if (auxAt < 0)
        {
            Log.LogMessage(MessageImportance.Normal, "MarkElfVersionWeak: {0} does not need {1}; nothing to do.", path, Version);
            return;
        }

        ushort flags = U16(elf, auxAt + 4);
        if ((flags & VerFlgWeak) != 0)
        {
            Log.LogMessage(MessageImportance.Normal, "MarkElfVersionWeak: {0}: {1} ({2}) is already weak.", path, Version, library);
            return;
        }

        // Which dynamic symbols carry this version? .gnu.version holds one version index per .dynsym entry.
        int index = U16(elf, auxAt + 6) & 0x7fff;
        List<string> users = SymbolsWithVersion(elf, sections, index);
        HashSet<string> allowed = new(AllowedSymbols.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()));
        List<string> unexpected = users.Where(u => !allowed.Contains(u)).ToList();
        if (allowed.Count > 0 && unexpected.Count > 0)
        {
            Log.LogWarning(
                "MarkElfVersionWeak: {0} needs {1} for {2}, not only for {3}; left unchanged, since marking the version weak would hide a real dependency.",
                path, Version, string.Join(", ", unexpected), AllowedSymbols);
            return;
        }

        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
        {
            ushort weak = (ushort)(flags | VerFlgWeak);
            file.Position = auxAt + 4;
            file.Write(new[] { (byte)weak, (byte)(weak >> 8) }, 0, 2);
        }

        Log.LogMessage(
            MessageImportance.High,
            "MarkElfVersionWeak: marked {0} ({1}, used by {2}) weak in {3}.",
            Version, library, users.Count == 0 ? "no symbol" : string.Join(", ", users), path);
    }

    private static List<string> SymbolsWithVersion(byte[] elf, Section[] sections, int index)
    {
        var names = new List<string>();
        Section? versym = sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
        Section? dynsym = sections.FirstOrDefault(s => s.Type == ShtDynsym);
        if (versym is null || dynsym is null || dynsym.EntrySize < 24)
        {
            return names;
        }

        Section strings = At(sections, dynsym.Link);
        long count = Math.Min((long)(dynsym.Size / dynsym.EntrySize), (long)(versym.Size / 2));
        for (long k = 0; k < count; k++)
        {
            if ((U16(elf, Checked(elf, (long)versym.Offset + (2 * k), 2)) & 0x7fff) == index)
            {
                long sym = Checked(elf, (long)dynsym.Offset + (k * (long)dynsym.EntrySize), 24);
                names.Add(Name(elf, strings, U32(elf, sym)));
            }
        }

        return names;
    }

    private static Section At(Section[] sections, uint index)
        => index < sections.Length ? sections[index] : throw new InvalidDataException($"section index {index} out of range");

    private static string Name(byte[] elf, Section strings, uint offset)
    {
        long start = Checked(elf, (long)strings.Offset + offset, 1);
        long end = start;
        while (end < elf.Length && elf[end] != 0)
        {
            end++;
        }

        return Encoding.ASCII.GetString(elf, (int)start, (int)(end - start));
    }

    private static long Checked(byte[] elf, long offset, long length)
        => offset >= 0 && length >= 0 && offset + length <= elf.Length ? offset : throw new InvalidDataException($"offset {offset} is outside the file");

    private static ushort U16(byte[] b, long o) => (ushort)(b[Checked(b, o, 2)] | (b[o + 1] << 8));

    private static uint U32(byte[] b, long o) => U16(b, o) | ((uint)U16(b, o + 2) << 16);

    private static ulong U64(byte[] b, long o) => U32(b, o) | ((ulong)U32(b, o + 4) << 32);

    private sealed class Section
    {
        public Section(uint type, ulong offset, ulong size, uint link, uint info, ulong entrySize)
        {
            Type = type;
            Offset = offset;
            Size = size;
            Link = link;
            Info = info;
            EntrySize = entrySize;
        }

        public uint Type { get; }

        public ulong Offset { get; }

        public ulong Size { get; }

        public uint Link { get; }

        public uint Info { get; }

        public ulong EntrySize { get; }
    }
}
