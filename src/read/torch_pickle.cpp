// torch.save's data.pkl: a pickle interpreted by a machine that only builds
// values. Python's pickle calls whatever globals a file names; this one knows
// the opcodes torch.save writes (protocol 2, see Python's Lib/pickletools.py)
// and a handful of globals (tensor and Parameter rebuilders, OrderedDict, the
// storage classes), and refuses anything else by name, so a hostile file can
// at worst be refused. Every count in the file (a string's length, a tensor's
// size, strides, the storage's elements) is checked against the bytes there
// are before anything is allocated or read.
#include "read/torch_pickle.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "error.h"
#include "read/elements.h"

namespace losscalc::read {

namespace {

// Bounds on what a pickle may build, far above what torch.save writes (a few
// objects a tensor) and low enough that a hostile file cannot exhaust memory.
constexpr std::size_t kMaxObjects = 2'000'000;
constexpr std::size_t kMaxStack = 1'000'000;  // stack and memo entries
constexpr std::size_t kMaxDepth = 1000;       // MARKs open at once, containers in containers
constexpr std::size_t kMaxArrays = 1'000'000;
constexpr std::size_t kMaxKey = 1 << 16;
constexpr std::size_t kMaxNameBytes = 1 << 26;  // all the arrays' names together
constexpr std::int64_t kMaxElements = std::int64_t{1} << 58;  // their bytes (8 each) stay below 2^63
// A view may hold more elements than its storage (x.expand(), or one storage
// seen by many tensors); past this slack plus twice the storages' bytes the
// file is refused rather than multiplied out in memory.
constexpr std::int64_t kExpandSlack = std::int64_t{1} << 24;

enum class Kind { None, Bool, Int, Float, Str, Tuple, List, Dict, Global, Storage, Tensor };

struct Obj {
  Kind kind = Kind::None;
  std::int64_t i = 0;       // Bool, Int
  double f = 0;             // Float
  std::string s;            // Str; Global: "module.name"; Storage: its key
  std::vector<Obj*> items;  // Tuple, List; Dict: key, value, key, value, ...
  std::unordered_map<std::string, std::size_t> index;  // Dict: a key's place in items
  // Storage: its dtype and numel elements.
  Elem elem = Elem::F32;
  std::int64_t numel = 0;
  // Tensor: a view of a storage.
  const Obj* storage = nullptr;
  std::int64_t offset = 0;
  Shape size, stride;
};

std::string kind_name(const Obj& o) {
  switch (o.kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Str: return "str";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Global: return o.s;
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
  }
  return "value";
}

// "an int", "a str", "None": a value's type for a message.
std::string a_kind(const Obj& o) {
  if (o.kind == Kind::None) return "None";
  const std::string k = kind_name(o);
  return (k[0] == 'i' ? "an " : "a ") + k;
}

// torch's legacy storage classes, which name a tensor's dtype.
bool storage_elem(std::string_view name, Elem& e) {
  static const std::pair<std::string_view, Elem> table[] = {
      {"FloatStorage", Elem::F32}, {"DoubleStorage", Elem::F64}, {"HalfStorage", Elem::F16}, {"BFloat16Storage", Elem::BF16},
      {"LongStorage", Elem::I64},  {"IntStorage", Elem::I32},    {"ShortStorage", Elem::I16}, {"CharStorage", Elem::I8},
      {"ByteStorage", Elem::U8},   {"BoolStorage", Elem::Bool}};
  for (const auto& [n, el] : table)
    if (n == name) {
      e = el;
      return true;
    }
  return false;
}

constexpr const char* kDtypes = "float64/32/16, bfloat16, int64/32/16, int8, uint8 and bool";

class Unpickler {
 public:
  Unpickler(std::string_view p, const std::function<std::uint64_t(const std::string&)>& storage_size, const Origin& o)
      : p_(p), storage_size_(storage_size), o_(o) {}

  Obj* run();
  void flatten(const Obj& v, const std::string& key, std::size_t depth, std::vector<TorchArray>& out);

 private:
  Error bad(const std::string& m) const { return data_error(o_.subject, o_.label, ".pt: data.pkl: " + m); }
  std::string at() const { return " at byte " + std::to_string(op_); }
  Obj* make(Kind k);
  Obj* integer(std::int64_t v, Kind k = Kind::Int);
  const char* take(std::size_t n);
  std::uint64_t le(std::size_t n);
  std::string_view line();
  void push(Obj* v);
  Obj* pop();
  Obj* top();
  std::vector<Obj*> pop_mark();
  Obj* global(std::string_view module, std::string_view name);
  Obj* persistent(const Obj& pid);
  Obj* reduce(const Obj& callable, const Obj& args);
  Obj* rebuild_tensor(const std::vector<Obj*>& a);
  void set_item(Obj& dict, Obj* key, Obj* value);
  TorchArray view(const Obj& t, const std::string& key);

  std::string_view p_;
  const std::function<std::uint64_t(const std::string&)>& storage_size_;
  const Origin& o_;
  std::size_t pos_ = 0, op_ = 0;
  std::vector<std::unique_ptr<Obj>> objects_;
  std::vector<Obj*> stack_;
  std::vector<std::size_t> marks_;  // stack sizes at the open MARKs
  std::unordered_map<std::uint32_t, Obj*> memo_;
  std::unordered_set<std::string> storages_seen_;
  std::int64_t budget_ = kExpandSlack;  // elements the tensors may still hold
  // A container may hold another many times over (memo references): what the
  // output walks is bounded, not just what the pickle builds.
  std::size_t visits_ = 0, name_bytes_ = 0;
};

Obj* Unpickler::make(Kind k) {
  if (objects_.size() >= kMaxObjects) throw bad("more than " + std::to_string(kMaxObjects) + " objects" + at() + ": not a torch.save file of tensors");
  objects_.push_back(std::make_unique<Obj>());
  objects_.back()->kind = k;
  return objects_.back().get();
}

Obj* Unpickler::integer(std::int64_t v, Kind k) {
  Obj* o = make(k);
  o->i = v;
  return o;
}

const char* Unpickler::take(std::size_t n) {
  if (n > p_.size() - pos_) throw bad("truncated: the pickle ends inside the opcode" + at());
  const char* q = p_.data() + pos_;
  pos_ += n;
  return q;
}

std::uint64_t Unpickler::le(std::size_t n) {
  const char* q = take(n);
  std::uint64_t v = 0;
  for (std::size_t k = 0; k < n; ++k) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(q[k])) << (8 * k);
  return v;
}

std::string_view Unpickler::line() {
  const void* nl = std::memchr(p_.data() + pos_, '\n', p_.size() - pos_);
  if (!nl) throw bad("truncated: the pickle ends inside the GLOBAL" + at());
  const std::size_t n = static_cast<std::size_t>(static_cast<const char*>(nl) - (p_.data() + pos_));
  std::string_view s(take(n), n);
  ++pos_;
  return s;
}

void Unpickler::push(Obj* v) {
  if (stack_.size() >= kMaxStack) throw bad("more than " + std::to_string(kMaxStack) + " values on the pickle's stack" + at());
  stack_.push_back(v);
}

// The stack below the last MARK belongs to an enclosing opcode: popping past
// it is a corrupt pickle, as in Python's.
Obj* Unpickler::top() {
  if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) throw bad("corrupt: the pickle's stack is empty" + at());
  return stack_.back();
}

Obj* Unpickler::pop() {
  Obj* v = top();
  stack_.pop_back();
  return v;
}

std::vector<Obj*> Unpickler::pop_mark() {
  if (marks_.empty()) throw bad("corrupt: an opcode" + at() + " takes the values since a MARK, and there is none");
  std::vector<Obj*> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
  stack_.resize(marks_.back());
  marks_.pop_back();
  return items;
}

Obj* Unpickler::global(std::string_view module, std::string_view name) {
  Elem e;
  const bool known = (module == "collections" && name == "OrderedDict") ||
                     (module == "torch._utils" && (name == "_rebuild_tensor_v2" || name == "_rebuild_parameter")) ||
                     (module == "torch" && storage_elem(name, e));
  if (!known) {
    const std::string full = std::string(module) + "." + std::string(name);
    if (module == "torch" && name.ends_with("Storage"))
      throw bad("a tensor of storage type " + in_quotes(full, 80) + " (complex or quantized): losscalc reads " + kDtypes + " tensors");
    if (module == "torch._utils" && name.starts_with("_rebuild_sparse"))
      throw bad("a sparse tensor (" + full + "): save it dense, x.to_dense()");
    if (module == "torch._utils" && name.starts_with("_rebuild_qtensor"))
      throw bad("a quantized tensor (" + full + "): save it dequantized, x.dequantize()");
    throw bad("the pickle calls " + in_quotes(full, 120) + at() + ", which losscalc does not run: it reads tensors and plain containers only");
  }
  Obj* g = make(Kind::Global);
  g->s = std::string(module) + "." + std::string(name);
  return g;
}

// torch.save's persistent id of a storage: ('storage', StorageClass, key,
// location, numel); its bytes are the archive's data/KEY.
Obj* Unpickler::persistent(const Obj& pid) {
  Elem e;
  if (pid.kind != Kind::Tuple || pid.items.size() != 5 || pid.items[0]->kind != Kind::Str || pid.items[0]->s != "storage" ||
      pid.items[1]->kind != Kind::Global || !pid.items[1]->s.starts_with("torch.") || !storage_elem(std::string_view(pid.items[1]->s).substr(6), e) ||
      pid.items[2]->kind != Kind::Str || pid.items[4]->kind != Kind::Int)
    throw bad("a persistent id" + at() + " that is not torch.save's ('storage', StorageClass, key, location, numel)");
  const std::string& key = pid.items[2]->s;
  const std::int64_t numel = pid.items[4]->i;
  const std::uint64_t size = storage_size_(key);
  const auto eb = static_cast<std::uint64_t>(elem_bytes(e));
  if (numel < 0 || static_cast<std::uint64_t>(numel) > size / eb)
    throw bad("storage " + in_quotes(key, 40) + " claims " + std::to_string(numel) + " elements of " + elem_name(e) + " (" +
              std::to_string(eb) + " bytes each), and data/" + key.substr(0, 40) + " holds " + std::to_string(size) +
              " bytes: the file is truncated or corrupt");
  // A zip's sizes stay below 2^63 (checked against its length), so twice one does too.
  if (storages_seen_.insert(key).second) budget_ += 2 * static_cast<std::int64_t>(size);
  Obj* s = make(Kind::Storage);
  s->s = key;
  s->elem = e;
  s->numel = numel;
  return s;
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
// backward_hooks[, metadata]): a view, checked to lie inside its storage.
// The elements are gathered later (gather()), when the view is output.
Obj* Unpickler::rebuild_tensor(const std::vector<Obj*>& a) {
  if ((a.size() != 6 && a.size() != 7) || a[0]->kind != Kind::Storage || a[1]->kind != Kind::Int || a[2]->kind != Kind::Tuple ||
      a[3]->kind != Kind::Tuple || a[2]->items.size() != a[3]->items.size())
    throw bad("_rebuild_tensor_v2" + at() + " takes (storage, offset, size, stride, requires_grad, hooks): not torch.save's arguments");
  const Obj& s = *a[0];
  Obj* t = make(Kind::Tensor);
  t->storage = &s;
  t->offset = a[1]->i;
  if (a[2]->items.size() > 64) throw bad("a tensor of " + std::to_string(a[2]->items.size()) + " dims" + at() + " (torch allows 64)");
  for (std::size_t d = 0; d < a[2]->items.size(); ++d) {
    const Obj& n = *a[2]->items[d];
    const Obj& st = *a[3]->items[d];
    if (n.kind != Kind::Int || st.kind != Kind::Int) throw bad("a tensor's size or stride" + at() + " holds " + a_kind(n.kind != Kind::Int ? n : st) + ", not an int");
    t->size.push_back(n.i);
    t->stride.push_back(st.i);
  }
  const std::string view = "a tensor of size " + shape_str(t->size) + ", stride " + shape_str(t->stride) + " and storage offset " +
                           std::to_string(t->offset) + at();
  // A dim of one index never steps: its stride, whatever the file says, is
  // set to 0 so that gather() cannot overflow on it.
  for (std::size_t d = 0; d < t->size.size(); ++d)
    if (t->size[d] == 1 && t->stride[d] >= 0) t->stride[d] = 0;
  std::int64_t n = 1;
  for (std::size_t d = 0; d < t->size.size(); ++d) {
    if (t->size[d] < 0 || t->stride[d] < 0) throw bad(view + ": negative sizes, strides and offsets are not torch.save's");
    if (t->size[d] != 0 && n > kMaxElements / t->size[d]) throw bad(view + " has more than 2^58 elements: the file is corrupt");
    n *= t->size[d];
  }
  if (t->offset < 0) throw bad(view + ": negative sizes, strides and offsets are not torch.save's");
  if (n == 0) return t;
  // The last element's index, offset + sum (size - 1) stride, must be below
  // the storage's numel; each step is checked so that nothing overflows.
  const std::string past = view + " reaches past the end of its storage " + in_quotes(s.s, 40) + " (" + std::to_string(s.numel) + " elements): the file is corrupt";
  if (t->offset >= s.numel) throw bad(past);
  std::int64_t end = t->offset;
  for (std::size_t d = 0; d < t->size.size(); ++d) {
    const std::int64_t steps = t->size[d] - 1;
    if (steps > 0 && t->stride[d] > 0) {
      if (steps > (s.numel - 1 - end) / t->stride[d]) throw bad(past);
      end += steps * t->stride[d];
    }
  }
  return t;
}

Obj* Unpickler::reduce(const Obj& callable, const Obj& args) {
  if (callable.kind != Kind::Global) throw bad("REDUCE" + at() + " calls " + a_kind(callable) + ", which is not a callable: the file is corrupt");
  if (args.kind != Kind::Tuple) throw bad("REDUCE" + at() + " calls " + callable.s + " with " + a_kind(args) + ", not a tuple of arguments");
  const std::string& f = callable.s;
  if (f == "collections.OrderedDict") {
    if (!args.items.empty()) throw bad("OrderedDict" + at() + " called with arguments, which torch.save does not write");
    return make(Kind::Dict);
  }
  if (f == "torch._utils._rebuild_tensor_v2") return rebuild_tensor(args.items);
  if (f == "torch._utils._rebuild_parameter") {  // nn.Parameter(tensor, requires_grad, hooks): the tensor
    if (args.items.size() != 3 || args.items[0]->kind != Kind::Tensor)
      throw bad("_rebuild_parameter" + at() + " takes (tensor, requires_grad, hooks): not torch.save's arguments");
    return args.items[0];
  }
  throw bad("REDUCE" + at() + " calls " + in_quotes(f, 80) + ", which is not a callable: the file is corrupt");
}

// Python dicts keep a key's first place when it is set again.
void Unpickler::set_item(Obj& dict, Obj* key, Obj* value) {
  if (dict.kind != Kind::Dict) throw bad("SETITEM" + at() + " on " + a_kind(dict) + ", not a dict: the file is corrupt");
  std::string name;
  if (key->kind == Kind::Str) name = key->s;
  else if (key->kind == Kind::Int) name = std::to_string(key->i);
  else throw bad("a dict key of type " + kind_name(*key) + at() + ": losscalc reads dicts with str or int keys");
  if (name.size() > kMaxKey) throw bad("a dict key of " + std::to_string(name.size()) + " bytes" + at() + " (at most " + std::to_string(kMaxKey) + ")");
  const auto [it, fresh] = dict.index.emplace(std::string(1, key->kind == Kind::Str ? 's' : 'i') + name, dict.items.size());
  if (fresh) {
    dict.items.push_back(key);
    dict.items.push_back(value);
  } else {
    dict.items[it->second + 1] = value;
  }
}

Obj* Unpickler::run() {
  if (p_.empty()) throw bad("empty: no pickle");
  while (pos_ < p_.size()) {
    op_ = pos_;
    const auto code = static_cast<unsigned char>(p_[pos_++]);
    switch (code) {
      case 0x80:  // PROTO
        if (le(1) > 5) throw bad("pickle protocol " + std::to_string(static_cast<unsigned char>(p_[pos_ - 1])) + at() + " (losscalc reads 2 to 5)");
        break;
      case '}':  // EMPTY_DICT
        push(make(Kind::Dict));
        break;
      case ']':  // EMPTY_LIST
        push(make(Kind::List));
        break;
      case ')':  // EMPTY_TUPLE
        push(make(Kind::Tuple));
        break;
      case '(':  // MARK
        if (marks_.size() >= kMaxDepth) throw bad("more than " + std::to_string(kMaxDepth) + " MARKs open" + at());
        marks_.push_back(stack_.size());
        break;
      case 't': {  // TUPLE
        auto items = pop_mark();
        Obj* t = make(Kind::Tuple);
        t->items = std::move(items);
        push(t);
        break;
      }
      case 0x85: case 0x86: case 0x87: {  // TUPLE1, TUPLE2, TUPLE3
        Obj* t = make(Kind::Tuple);
        t->items.resize(code - 0x84u);
        for (auto k = t->items.size(); k-- > 0;) t->items[k] = pop();
        push(t);
        break;
      }
      case 'q': case 'r': case 0x94: {  // BINPUT, LONG_BINPUT, MEMOIZE
        const auto key = static_cast<std::uint32_t>(code == 'q' ? le(1) : code == 'r' ? le(4) : memo_.size());
        if (memo_.size() >= kMaxStack && !memo_.count(key)) throw bad("more than " + std::to_string(kMaxStack) + " memo entries" + at());
        memo_[key] = top();
        break;
      }
      case 'h': case 'j': {  // BINGET, LONG_BINGET
        const auto key = static_cast<std::uint32_t>(le(code == 'h' ? 1 : 4));
        const auto it = memo_.find(key);
        if (it == memo_.end()) throw bad("corrupt: memo entry " + std::to_string(key) + at() + " was never stored");
        push(it->second);
        break;
      }
      case 'X': case 0x8c: case 0x8d: {  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
        const std::uint64_t n = le(code == 'X' ? 4 : code == 0x8c ? 1 : 8);
        if (n > p_.size() - pos_) throw bad("truncated: a string of " + std::to_string(n) + " bytes" + at() + " runs past the pickle's end");
        Obj* s = make(Kind::Str);
        s->s.assign(take(static_cast<std::size_t>(n)), static_cast<std::size_t>(n));
        push(s);
        break;
      }
      case 'J':  // BININT: 4 bytes, signed
        push(integer(static_cast<std::int32_t>(static_cast<std::uint32_t>(le(4)))));
        break;
      case 'K':  // BININT1, BININT2: unsigned
        push(integer(static_cast<std::int64_t>(le(1))));
        break;
      case 'M':
        push(integer(static_cast<std::int64_t>(le(2))));
        break;
      case 0x8a: {  // LONG1: n bytes, two's complement
        const std::size_t n = static_cast<std::size_t>(le(1));
        if (n > 8) throw bad("an integer of " + std::to_string(n) + " bytes" + at() + ": losscalc reads integers of at most 64 bits");
        std::uint64_t v = le(n);
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) != 0) v |= ~std::uint64_t{0} << (8 * n);  // sign-extend
        push(integer(static_cast<std::int64_t>(v)));
        break;
      }
      case 'G': {  // BINFLOAT: 8 bytes, big-endian
        const char* q = take(8);
        std::uint64_t v = 0;
        for (int k = 0; k < 8; ++k) v = v << 8 | static_cast<unsigned char>(q[k]);
        Obj* f = make(Kind::Float);
        f->f = std::bit_cast<double>(v);
        push(f);
        break;
      }
      case 0x88: case 0x89:  // NEWTRUE, NEWFALSE
        push(integer(code == 0x88, Kind::Bool));
        break;
      case 'N':
        push(make(Kind::None));
        break;
      case 'c': {  // GLOBAL "module\nname\n"
        const std::string_view module = line();
        const std::string_view name = line();
        push(global(module, name));
        break;
      }
      case 'R': {  // REDUCE
        Obj* args = pop();
        Obj* callable = pop();
        push(reduce(*callable, *args));
        break;
      }
      case 'b': {  // BUILD: an object's state; torch.save sets a state_dict's _metadata so
        Obj* state = pop();
        const Obj& target = *top();
        if (target.kind != Kind::Dict || (state->kind != Kind::Dict && state->kind != Kind::None))
          throw bad("BUILD" + at() + " sets the state of " + a_kind(target) + " from " + a_kind(*state) + ", which torch.save does not write");
        break;  // the attributes (_metadata: module versions) are not arrays
      }
      case 'Q':  // BINPERSID
        push(persistent(*pop()));
        break;
      case 's': {  // SETITEM
        Obj* value = pop();
        Obj* key = pop();
        set_item(*top(), key, value);
        break;
      }
      case 'u': {  // SETITEMS
        const auto items = pop_mark();
        if (items.size() % 2) throw bad("corrupt: SETITEMS" + at() + " with a key and no value");
        Obj& dict = *top();
        for (std::size_t k = 0; k < items.size(); k += 2) set_item(dict, items[k], items[k + 1]);
        break;
      }
      case 'a': case 'e': {  // APPEND, APPENDS
        std::vector<Obj*> items = code == 'a' ? std::vector<Obj*>{pop()} : pop_mark();
        Obj& list = *top();
        if (list.kind != Kind::List) throw bad("APPEND" + at() + " to " + a_kind(list) + ", not a list: the file is corrupt");
        list.items.insert(list.items.end(), items.begin(), items.end());
        break;
      }
      case '.': {  // STOP
        Obj* v = pop();
        if (pos_ != p_.size()) throw bad("corrupt: " + std::to_string(p_.size() - pos_) + " bytes after the STOP" + at());
        return v;
      }
      default: {
        std::string hex;
        append_hex(hex, code);
        throw bad("unsupported pickle opcode 0x" + hex + at() + ": losscalc reads the pickles torch.save writes (protocol 2)");
      }
    }
  }
  throw bad("truncated: the pickle ends at byte " + std::to_string(p_.size()) + " without its STOP opcode");
}

// A tensor as an array of the output, its elements not yet read: counted
// against the budget, which bounds what gathering them all may allocate.
TorchArray Unpickler::view(const Obj& t, const std::string& key) {
  const Obj& s = *t.storage;
  const std::int64_t n = numel(t.size);
  if (n > budget_)
    throw bad(in_quotes(key, 80) + ": the tensors add up to more elements than their storages hold, past losscalc's bound "
              "(a storage expanded or viewed many times); save them with .contiguous() or .clone()");
  budget_ -= n;
  TorchArray a;
  a.key = key;
  a.storage = s.s;
  a.elem = s.elem;
  a.offset = t.offset;
  a.size = t.size;
  a.stride = t.stride;
  return a;
}

void Unpickler::flatten(const Obj& v, const std::string& key, std::size_t depth, std::vector<TorchArray>& out) {
  if (depth > kMaxDepth) throw bad("containers nested more than " + std::to_string(kMaxDepth) + " deep (or holding themselves)");
  if (++visits_ > kMaxObjects)
    throw bad("the containers hold more than " + std::to_string(kMaxObjects) + " values in all (one container held by another many times over)");
  const auto child = [&](const std::string& name) {
    if (key.size() + name.size() + 1 > kMaxKey) throw bad("an array name longer than " + std::to_string(kMaxKey) + " bytes");
    return key.empty() && depth == 0 ? name : key + "." + name;
  };
  switch (v.kind) {
    case Kind::Tensor: case Kind::Bool: case Kind::Int: case Kind::Float:
      if (out.size() >= kMaxArrays) throw bad("more than " + std::to_string(kMaxArrays) + " arrays");
      if ((name_bytes_ += key.size()) > kMaxNameBytes) throw bad("the arrays' names add up to more than " + std::to_string(kMaxNameBytes) + " bytes");
      if (v.kind == Kind::Tensor) {
        out.push_back(view(v, key));
      } else {  // a Python number: a 0-d tensor
        TorchArray a;
        a.key = key;
        a.is_tensor = false;
        a.value = v.kind == Kind::Float ? v.f : static_cast<double>(v.i);
        out.push_back(std::move(a));
      }
      return;
    case Kind::Dict:
      for (std::size_t k = 0; k < v.items.size(); k += 2) {
        const Obj& name = *v.items[k];
        flatten(*v.items[k + 1], child(name.kind == Kind::Str ? name.s : std::to_string(name.i)), depth + 1, out);
      }
      return;
    case Kind::List: case Kind::Tuple:
      for (std::size_t k = 0; k < v.items.size(); ++k) flatten(*v.items[k], child(std::to_string(k)), depth + 1, out);
      return;
    case Kind::None: case Kind::Str:
      // A checkpoint's None and text ({"epoch": 3, "arch": "resnet", "model": ...},
      // an optimizer's settings) hold no array: left out, so its arrays are read.
      if (depth > 0) return;
      [[fallthrough]];
    default:
      throw bad((key.empty() ? std::string("the saved object") : in_quotes(key, 80)) + " is " + a_kind(v) +
                ": losscalc reads tensors, and dicts, lists and tuples of tensors and numbers");
  }
}

}  // namespace

bool TorchArray::contiguous() const {
  std::int64_t want = 1;
  for (std::size_t d = size.size(); d-- > 0;) {
    if (size[d] != 1 && stride[d] != want) return false;
    want *= size[d];
  }
  return true;
}

std::vector<TorchArray> torch_pickle_index(std::string_view pickle, const std::function<std::uint64_t(const std::string&)>& storage_size,
                                           const Origin& origin) {
  Unpickler u(pickle, storage_size, origin);
  const Obj* top = u.run();
  std::vector<TorchArray> out;
  u.flatten(*top, "", 0, out);
  // Python dicts keep str 1 and int 1 apart; as names they are one.
  std::unordered_set<std::string> names;
  for (const auto& a : out)
    if (!names.insert(a.key).second) throw data_error(origin.subject, origin.label, ".pt: data.pkl: two arrays are named " + in_quotes(a.key, 80));
  return out;
}

Tensor torch_array_tensor(const TorchArray& a, std::string_view storage) {
  if (!a.is_tensor) return Tensor{{}, {a.value}};
  const std::int64_t n = numel(a.size);
  Tensor out{a.size, std::vector<double>(static_cast<std::size_t>(n))};
  if (n == 0) return out;
  const auto eb = static_cast<std::size_t>(elem_bytes(a.elem));
  if (a.contiguous()) {
    decode_elements(storage.data() + static_cast<std::size_t>(a.offset) * eb, static_cast<std::size_t>(n), a.elem, out.data.data());
    return out;
  }
  const std::size_t dims = a.size.size();
  std::vector<std::int64_t> index(dims, 0);
  std::int64_t at = a.offset;
  for (std::size_t k = 0; k < out.data.size(); ++k) {
    decode_elements(storage.data() + static_cast<std::size_t>(at) * eb, 1, a.elem, &out.data[k]);
    for (std::size_t d = dims; d-- > 0;) {  // the last index runs fastest
      at += a.stride[d];
      if (++index[d] < a.size[d]) break;
      at -= a.stride[d] * a.size[d];
      index[d] = 0;
    }
  }
  return out;
}

std::vector<std::pair<std::string, Tensor>> torch_pickle_arrays(
    std::string_view pickle, const std::function<std::string_view(const std::string&)>& storage, const Origin& origin) {
  std::unordered_map<std::string, std::string_view> bytes;
  const auto arrays = torch_pickle_index(pickle, [&](const std::string& key) -> std::uint64_t { return (bytes[key] = storage(key)).size(); }, origin);
  std::vector<std::pair<std::string, Tensor>> out;
  out.reserve(arrays.size());
  for (const auto& a : arrays) out.emplace_back(a.key, torch_array_tensor(a, a.is_tensor ? bytes.at(a.storage) : std::string_view{}));
  return out;
}

}  // namespace losscalc::read
