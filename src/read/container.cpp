#include "read/container.h"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>

#include "error.h"
#include "read/elements.h"
#include "read/rows.h"
#include "read/torch_pickle.h"
#include "read/zip.h"

namespace losscalc::read {

namespace {

std::uint64_t le64(std::string_view b) {
  std::uint64_t v = 0;
  for (int k = 7; k >= 0; --k) v = v << 8 | static_cast<unsigned char>(b[static_cast<std::size_t>(k)]);
  return v;
}

// safetensors' own limit on its header.
constexpr std::uint64_t kMaxSafetensorsHeader = 100'000'000;

bool is_safetensors(std::string_view head) {
  if (head.size() < 10) return false;
  const std::uint64_t n = le64(head);
  return n >= 2 && n <= kMaxSafetensorsHeader && head[8] == '{';
}

// A pickle (protocol 2 or later): a legacy torch.save file, or pickle.dump's.
bool is_pickle(std::string_view head) { return head.size() >= 2 && head[0] == '\x80' && head[1] >= 2 && head[1] <= 5; }

// ---- safetensors ------------------------------------------------------------

struct Entry {
  Elem elem;
  Shape shape;
  std::uint64_t begin, end;
};

// The tensors of a safetensors header, each checked against the data's length.
std::vector<std::pair<std::string, Entry>> safetensors_entries(std::string_view bytes, const Origin& o) {
  auto bad = [&](const std::string& m) { return data_error(o.subject, o.label, "safetensors: " + m); };
  const std::uint64_t n = le64(bytes);
  if (n > bytes.size() - 8) throw bad("the header claims " + std::to_string(n) + " bytes, past the end of the file (truncated?)");
  nlohmann::ordered_json header;
  try {
    header = nlohmann::ordered_json::parse(bytes.substr(8, n));
  } catch (const nlohmann::json::exception& e) {
    const std::string what = e.what();  // "[json.exception.parse_error.101] parse error at line 1, column 17: ..."
    const auto at = what.find("line ");
    throw bad("the header is not JSON: " + (at == std::string::npos ? what : what.substr(at)));
  }
  if (!header.is_object()) throw bad("the header is not a JSON object");
  const std::string_view data = bytes.substr(8 + n);
  std::vector<std::pair<std::string, Entry>> entries;
  static const std::pair<const char*, Elem> kDtypes[] = {
      {"F64", Elem::F64}, {"F32", Elem::F32}, {"F16", Elem::F16}, {"BF16", Elem::BF16}, {"I64", Elem::I64}, {"I32", Elem::I32},
      {"I16", Elem::I16}, {"I8", Elem::I8},   {"U64", Elem::U64}, {"U32", Elem::U32},   {"U16", Elem::U16}, {"U8", Elem::U8},
      {"BOOL", Elem::Bool}};
  for (auto& [key, v] : header.items()) {
    if (key == "__metadata__") continue;
    const std::string name = in_quotes(key, 80);
    if (!v.is_object() || !v.contains("dtype") || !v["dtype"].is_string() || !v.contains("shape") || !v["shape"].is_array() ||
        !v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2)
      throw bad(name + " lacks its dtype, shape or data_offsets");
    const std::string dtype = v["dtype"].get<std::string>();
    Entry e{Elem::F64, {}, 0, 0};
    bool known = false;
    for (auto& [dn, de] : kDtypes)
      if (dtype == dn) e.elem = de, known = true;
    if (!known)
      throw bad(name + " has dtype " + in_quotes(dtype, 20) + ", which losscalc does not read (F64, F32, F16, BF16, I64..I8, U64..U8, BOOL)");
    std::uint64_t count = 1;
    for (auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) throw bad(name + " has a shape that is not a list of sizes");
      const std::uint64_t extent = d.get<std::uint64_t>();
      if (extent != 0 && count > (std::uint64_t{1} << 58) / extent) throw bad(name + " has a shape too large to hold");
      count *= extent;
      e.shape.push_back(static_cast<std::int64_t>(extent));
    }
    for (auto& off : v["data_offsets"])
      if (!off.is_number_unsigned()) throw bad(name + " has data_offsets that are not byte offsets");
    e.begin = v["data_offsets"][0].get<std::uint64_t>();
    e.end = v["data_offsets"][1].get<std::uint64_t>();
    if (e.begin > e.end || e.end > data.size())
      throw bad(name + " lies at bytes " + std::to_string(e.begin) + ".." + std::to_string(e.end) + ", past the " +
                std::to_string(data.size()) + " bytes of data (truncated?)");
    if (e.end - e.begin != count * static_cast<std::uint64_t>(elem_bytes(e.elem)))
      throw bad(name + " of shape " + shape_str(e.shape) + " and dtype " + dtype + " needs " +
                std::to_string(count * static_cast<std::uint64_t>(elem_bytes(e.elem))) + " bytes, but its data_offsets hold " +
                std::to_string(e.end - e.begin));
    entries.emplace_back(key, std::move(e));
  }
  return entries;
}

std::string_view safetensors_data(std::string_view bytes) { return bytes.substr(8 + le64(bytes)); }

Container safetensors(std::string_view bytes, const Origin& o) {
  auto entries = std::make_shared<std::vector<std::pair<std::string, Entry>>>(safetensors_entries(bytes, o));
  Container c{"a safetensors file", {}, {}};
  for (auto& [key, e] : *entries) c.keys.push_back(key);
  c.load = [entries, data = safetensors_data(bytes)](std::size_t i) {
    const Entry& e = (*entries)[i].second;
    Tensor t{e.shape, std::vector<double>(static_cast<std::size_t>((e.end - e.begin) / static_cast<std::uint64_t>(elem_bytes(e.elem))))};
    decode_elements(data.data() + e.begin, t.data.size(), e.elem, t.data.data());
    return t;
  };
  return c;
}

// ---- zip: .npz, torch.save -----------------------------------------------------

// A member's name below the archive's folder: "data.pkl" of "ckpt/data.pkl".
std::string_view leaf_of(std::string_view name) {
  const auto slash = name.find('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

const ZipMember* torch_pickle_member(const Zip& zip) {
  for (auto& m : zip.members())
    if (leaf_of(m.name) == "data.pkl") return &m;
  return nullptr;
}

Container npz(std::shared_ptr<const Zip> zip, const Origin& o) {
  Container c{"a .npz archive", {}, {}};
  for (auto& m : zip->members()) {
    if (!m.name.ends_with(".npy"))
      throw data_error(o.subject, o.label, ".npz: member " + in_quotes(m.name, 80) + " is not a .npy array (numpy.savez writes only those)");
    c.keys.push_back(m.name.substr(0, m.name.size() - 4));
  }
  c.load = [zip, o](std::size_t i) {
    const ZipMember& m = zip->members()[i];
    std::string scratch;
    const std::string_view npy = zip->data(m, scratch);
    Origin member = o;
    member.label = (o.label.empty() ? "" : o.label + ", ") + "member " + in_quotes(m.name, 80);
    return npy_tensor(npy, member);
  };
  return c;
}

// A torch.save file: ARCHIVE/data.pkl read by the restricted unpickler
// (torch_pickle.h), its storages ARCHIVE/data/KEY out of the zip. The
// storages are read when an array is: a stored one (as torch.save writes
// them) is only measured here, a deflated one inflated once.
struct TorchFile {
  std::shared_ptr<const Zip> zip;
  std::string prefix;  // the archive's folder, "ckpt/"
  std::vector<TorchArray> arrays;
  std::map<std::string, std::pair<std::string_view, std::string>> bytes;  // storages read: a view, or inflated into the string

  const ZipMember& member(const std::string& key, const Origin& o) const {
    const ZipMember* m = zip->find(prefix + "data/" + key);
    if (!m) throw data_error(o.subject, o.label, "a torch.save file without the storage " + in_quotes(prefix + "data/" + key, 80) + " its pickle names");
    return *m;
  }
  // A storage's bytes, read (and its CRC checked) once; one that fails to
  // read is not kept, so that each array of it fails alike.
  std::string_view storage(const std::string& key, const Origin& o) {
    auto it = bytes.find(key);
    if (it != bytes.end()) return it->second.first;
    const ZipMember& m = member(key, o);
    it = bytes.try_emplace(key).first;
    try {
      it->second.first = zip->data(m, it->second.second);
    } catch (...) {
      bytes.erase(it);
      throw;
    }
    return it->second.first;
  }
};

std::shared_ptr<TorchFile> torch_index(std::shared_ptr<const Zip> zip, const ZipMember& pkl, const Origin& o) {
  auto f = std::make_shared<TorchFile>();
  f->zip = std::move(zip);
  f->prefix = pkl.name.substr(0, pkl.name.size() - std::string_view("data.pkl").size());
  if (const ZipMember* order = f->zip->find(f->prefix + "byteorder")) {
    std::string scratch;
    const std::string_view v = f->zip->data(*order, scratch);
    if (v != "little")
      throw data_error(o.subject, o.label, "a torch.save file of " + in_quotes(std::string(v), 20) + "-endian storages: losscalc reads little-endian ones");
  }
  std::string pickle_scratch;
  const std::string_view pickle = f->zip->data(pkl, pickle_scratch);
  f->arrays = torch_pickle_index(pickle, [&](const std::string& key) -> std::uint64_t {
    const ZipMember& m = f->member(key, o);
    // A stored member's size, once its reader has checked it against the
    // archive's length (nothing is read); a deflated one is inflated, as
    // its size is only claimed until then.
    if (m.method == 0) return static_cast<std::uint64_t>(f->zip->reader(m)->size());
    return f->storage(key, o).size();
  }, o);
  return f;
}

Container torch_file(std::shared_ptr<const Zip> zip, const ZipMember& pkl, const Origin& o) {
  auto f = torch_index(std::move(zip), pkl, o);
  Container c{"a torch.save file", {}, {}};
  for (auto& a : f->arrays) c.keys.push_back(a.key.empty() ? "tensor" : a.key);
  c.load = [f, o](std::size_t i) {
    const TorchArray& a = f->arrays[i];
    return torch_array_tensor(a, a.is_tensor ? f->storage(a.storage, o) : std::string_view{});
  };
  return c;
}

// The .npy header of an array of `elem` and `shape` (C order); empty when
// numpy has no such dtype (bfloat16).
std::string npy_header(Elem elem, const Shape& shape) {
  static const std::pair<Elem, const char*> kDescr[] = {{Elem::F64, "<f8"}, {Elem::F32, "<f4"}, {Elem::F16, "<f2"}, {Elem::I64, "<i8"},
                                                        {Elem::I32, "<i4"}, {Elem::I16, "<i2"}, {Elem::I8, "|i1"},  {Elem::U64, "<u8"},
                                                        {Elem::U32, "<u4"}, {Elem::U16, "<u2"}, {Elem::U8, "|u1"},  {Elem::Bool, "|b1"}};
  const char* descr = nullptr;
  for (auto& [de, dn] : kDescr)
    if (de == elem) descr = dn;
  if (!descr) return {};
  std::string dims;
  for (auto d : shape) dims += std::to_string(d) + ", ";
  std::string h = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  h.resize((10 + h.size() + 1 + 63) / 64 * 64 - 10 - 1, ' ');
  h += '\n';
  std::string head = "\x93NUMPY\x01";
  head += '\0';
  head += static_cast<char>(h.size() & 0xff);
  head += static_cast<char>(h.size() >> 8);
  return head + h;
}

// A zip member's bytes as they are read, its CRC checked as container_npy() says.
std::unique_ptr<ByteReader> member_reader(const Zip& zip, const ZipMember& m, std::shared_ptr<const void> keep, bool verify,
                                          std::shared_ptr<CrcLedger>* ledger) {
  if (ledger && m.method == 0) {
    if (!*ledger) *ledger = std::make_shared<CrcLedger>(m.crc, m.size);
    return zip.tracked_reader(m, *ledger, std::move(keep));
  }
  if (verify) zip.verify(m);
  return zip.reader(m, std::move(keep));
}

}  // namespace

std::unique_ptr<ByteReader> container_npy(std::string_view bytes, std::size_t index, const Origin& o, std::shared_ptr<const void> keep,
                                          bool* inflates, bool verify, std::shared_ptr<CrcLedger>* ledger) {
  if (inflates) *inflates = false;
  if (is_safetensors(bytes)) {
    const auto entries = safetensors_entries(bytes, o);
    const Entry& e = entries.at(index).second;
    std::string head = npy_header(e.elem, e.shape);  // numpy has no bfloat16
    if (head.empty() || e.shape.size() > 2) return nullptr;
    const std::string_view data = safetensors_data(bytes).substr(e.begin, e.end - e.begin);
    return chain_bytes(std::move(head), view_bytes(data, std::move(keep)), false);
  }
  auto zip = std::make_shared<const Zip>(bytes, o);
  if (const ZipMember* pkl = torch_pickle_member(*zip)) {
    // A tensor of torch.save streams when it is its whole stored storage, in
    // row-major order (as a tensor that was never sliced or transposed is).
    const auto f = torch_index(zip, *pkl, o);
    const TorchArray& a = f->arrays.at(index);
    if (!a.is_tensor || !a.contiguous() || a.offset != 0 || a.size.size() > 2) return nullptr;
    const ZipMember& m = f->member(a.storage, o);
    std::string head = npy_header(a.elem, a.size);
    if (head.empty() || m.method != 0 || m.size != static_cast<std::uint64_t>(numel(a.size)) * static_cast<std::uint64_t>(elem_bytes(a.elem)))
      return nullptr;
    return chain_bytes(std::move(head), member_reader(*zip, m, std::move(keep), verify, ledger), false);
  }
  for (auto& member : zip->members())
    if (!member.name.ends_with(".npy")) return nullptr;  // not a .npz
  const ZipMember& m = zip->members().at(index);
  std::unique_ptr<ByteReader> in = member_reader(*zip, m, std::move(keep), verify, ledger);
  if (inflates) *inflates = m.method != 0;
  // The member's header decides: read it, then hand it back before the rest.
  std::string head(std::min<std::uint64_t>(m.size, 1 << 16), '\0');
  std::size_t got = 0, k;
  while (got < head.size() && (k = in->read(head.data() + got, head.size() - got)) > 0) got += k;
  head.resize(got);
  if (!is_npy(head) || !npy_streams(head)) return nullptr;
  return chain_bytes(std::move(head), std::move(in));
}

bool is_container(std::string_view head) { return is_zip(head) || is_safetensors(head) || is_pickle(head); }

Container open_container(std::string_view bytes, const Origin& o) {
  if (is_safetensors(bytes)) return safetensors(bytes, o);
  if (is_pickle(bytes))
    throw data_error(o.subject, o.label,
                     "a Python pickle (a legacy torch.save file, or pickle.dump's): losscalc reads torch.save's zip format "
                     "(the default since torch 1.6: load it and save it again with torch.save) and never runs a pickle");
  auto zip = std::make_shared<const Zip>(bytes, o);
  const ZipMember* pkl = torch_pickle_member(*zip);
  bool script = false;
  for (auto& m : zip->members()) script = script || leaf_of(m.name) == "constants.pkl" || leaf_of(m.name).starts_with("code/");
  if (script)
    throw data_error(o.subject, o.label, "a TorchScript archive (torch.jit.save): losscalc reads tensors saved with torch.save");
  if (pkl) return torch_file(zip, *pkl, o);
  if (zip->members().empty()) throw data_error(o.subject, o.label, "an empty zip archive: it holds no arrays");
  return npz(std::move(zip), o);
}

}  // namespace losscalc::read
