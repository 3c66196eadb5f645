#!/usr/bin/env bash
# Fetches tint's training and evaluation photos from Debian packages into data/ (git-ignored):
#   data/train/   1163 photos, named <package>__<name>.{jpg,png}
#   data/eval/    15 photos, never to be trained on
#   data/SOURCES.tsv   file, package, version, path inside the package, licence
# The lists are tools/data/{train,eval}-sources.txt (or $TINT_SHARED/{train,eval}-sources.txt,
# which must produce the same counts). Packages are only downloaded (apt-get download) and
# unpacked (dpkg-deb -x) under data/.cache/, never installed.
# Every photo ends up 8-bit sRGB RGB: baseline 8-bit RGB JPEGs are kept byte for byte, anything
# else (16-bit or RGBA PNG, WebP from GCompris's Qt resource bundles, other JPEGs) becomes PNG
# through tint-to-srgb8 (alpha flattened onto white). A photo listed twice is fetched once; of
# training photos that are the same picture at another size (perceptual hash, tools/data/
# near-dups.cpp, compiled with g++ into data/.cache/), the biggest is kept; and no training photo
# may be a near-duplicate of an evaluation photo. Safe to rerun: finished work is skipped.
# Usage: tools/fetch-data.sh        (env: TINT_SHARED, TINT_TOOLS_DIR = a build folder that
#                                    already holds tint-rcc and tint-to-srgb8)
set -euo pipefail
export LC_ALL=C  # the same glob order, sort order and messages everywhere
cd "$(dirname "$0")/.."
root=$(pwd)

die() {
  echo "fetch-data: error: $*" >&2
  exit 1
}
say() { echo "fetch-data: $*"; }

lists=${TINT_SHARED:-$root/tools/data}
train_list=$lists/train-sources.txt
eval_list=$lists/eval-sources.txt
for list in "$train_list" "$eval_list"; do
  [[ -f $list ]] || die "$list is missing (TINT_SHARED, if set, names the folder holding train-sources.txt and eval-sources.txt)"
done
# What the lists produce: train-sources.txt matches 1166 different photos (its part 2 repeats
# part 1's categorization line: 142 photos listed twice), less 3 smaller copies of other photos.
expected_train=1163
expected_eval=15

data=$root/data
cache=$data/.cache
mkdir -p "$cache/debs" "$cache/root" "$cache/rcc"

# Near-duplicates, in differing bits of 256 (see tools/data/near-dups.cpp). A training photo this
# close to a bigger one is the same picture and is dropped: the three resized copies in the lists
# measure 4 to 7, the closest different photos (two hand tools on white) 23.
same_distance=16
# A training photo this close to an evaluation photo stops the script. Looser, as it drops nothing:
# it catches copies down to about 64 pixels wide; the closest pair in the lists measures 67.
eval_distance=32
near_source=$root/tools/data/near-dups.cpp

# What decides the converted photos: the lists and the layout of the output (bump it when a change
# to this script changes which files it writes or what they hold). The whole of data/ also
# depends on the near-duplicate check.
layout_version=2
outputs_fingerprint=$( (cat "$train_list" "$eval_list"; echo "layout $layout_version") | sha256sum | cut -d' ' -f1)
fingerprint=$( (echo "$outputs_fingerprint"; cat "$near_source"; echo "near $same_distance $eval_distance") | sha256sum | cut -d' ' -f1)

count_photos() { find "$1" -maxdepth 1 -type f \( -name '*.png' -o -name '*.jpg' \) 2>/dev/null | wc -l; }

if [[ -f $data/.stamp && $(cat "$data/.stamp") == "$fingerprint" && -f $data/SOURCES.tsv &&
      $(count_photos "$data/train") -eq $expected_train && $(count_photos "$data/eval") -eq $expected_eval ]]; then
  say "up to date"
  echo "data/train: $expected_train photos, data/eval: $expected_eval photos"
  exit 0
fi
rm -f "$data/.stamp"

# ---- tools -------------------------------------------------------------------------------------
tools_dir=${TINT_TOOLS_DIR:-$root/build/native}
rcc_tool=$tools_dir/tint-rcc
convert_tool=$tools_dir/tint-to-srgb8
if [[ ! -x $rcc_tool || ! -x $convert_tool ]]; then
  [[ -z ${TINT_TOOLS_DIR:-} ]] || die "$tools_dir holds no tint-rcc and tint-to-srgb8 (TINT_TOOLS_DIR)"
  say "building tint-rcc and tint-to-srgb8 (build/native)"
  export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/tint-ccache}
  cmake --preset native >/dev/null || die "cmake --preset native failed (run tools/setup.sh first)"
  cmake --build --preset native --target tint-rcc tint-to-srgb8 || die "building tint-rcc and tint-to-srgb8 failed"
fi
# near-dups: one source file and stb_image (libstb-dev), rebuilt when the source changes.
near_tool=$cache/near-dups
near_built_from=$(sha256sum "$near_source" | cut -d' ' -f1)
if [[ ! -x $near_tool || ! -f $near_tool.source || $(cat "$near_tool.source") != "$near_built_from" ]]; then
  [[ -f /usr/include/stb/stb_image.h ]] || die "/usr/include/stb/stb_image.h is missing (apt-get install libstb-dev)"
  say "compiling tools/data/near-dups.cpp"
  rm -f "$near_tool.source"
  g++ -O2 -std=c++17 -o "$near_tool.partial" "$near_source" || die "compiling $near_source failed"
  mv "$near_tool.partial" "$near_tool"
  echo "$near_built_from" >"$near_tool.source"
fi

# ---- the lists -------------------------------------------------------------------------------
# One record per line: split, package, glob. Packages in order of first appearance.
splits=() packages_of_line=() globs=() packages=()
declare -A seen_package=()
read_list() {
  local split=$1 file=$2 package glob rest
  while IFS=$'\t' read -r package glob rest || [[ -n $package ]]; do
    [[ -z $package || $package == \#* ]] && continue
    [[ -n $glob && -z ${rest:-} ]] || die "$file: bad line \"$package${glob:+	$glob}${rest:+	$rest}\" (expected: package<TAB>glob)"
    splits+=("$split") packages_of_line+=("$package") globs+=("$glob")
    if [[ -z ${seen_package[$package]:-} ]]; then
      seen_package[$package]=1
      packages+=("$package")
    fi
  done <"$file"
}
read_list train "$train_list"
read_list eval "$eval_list"

# ---- download and unpack ---------------------------------------------------------------------
apt_options=()
if [[ $(id -u) -eq 0 ]]; then apt_options=(-o APT::Sandbox::User=root); fi  # no _apt warning
updated=0

# Prints the cached .deb of a package, if any (the newest when several versions are cached).
cached_deb() { find "$cache/debs" -maxdepth 1 -name "${1}_*.deb" | sort -V | tail -n 1; }

download() {
  local package=$1 partial=$cache/debs/.partial
  [[ -n $(cached_deb "$package") ]] && return 0
  say "downloading $package"
  rm -rf "$partial" && mkdir -p "$partial"
  if ! (cd "$partial" && apt-get "${apt_options[@]}" -q download "$package" >/dev/null 2>"$partial.log"); then
    if ((!updated)); then
      say "$package: not downloadable yet, running apt-get update"
      local sudo_cmd=()
      if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
      "${sudo_cmd[@]}" apt-get update -qq || die "apt-get update failed"
      updated=1
    fi
    (cd "$partial" && apt-get "${apt_options[@]}" -q download "$package" >/dev/null 2>"$partial.log") ||
      die "cannot download package $package: $(grep -E '^E:' "$partial.log" | head -n 1 || true)"
  fi
  local deb
  deb=$(find "$partial" -maxdepth 1 -name '*.deb' | head -n 1)
  if [[ -z $deb ]] || ! dpkg-deb --info "$deb" >/dev/null 2>&1; then
    die "package $package: the download is not a valid .deb"
  fi
  mv "$deb" "$cache/debs/"
  rm -rf "$partial" "$partial.log"
}

unpack() {
  local package=$1 deb=$2 target=$cache/root/$1
  [[ -f $target/.unpacked && $(cat "$target/.unpacked") == "$(basename "$deb")" ]] && return 0
  rm -rf "$target" "$target.partial"
  dpkg-deb -x "$deb" "$target.partial" || die "package $package: dpkg-deb -x $deb failed"
  basename "$deb" >"$target.partial/.unpacked"
  mv "$target.partial" "$target"
}

# ---- licences --------------------------------------------------------------------------------
# From usr/share/doc/<package>/copyright inside the unpacked package. Machine-readable (DEP-5)
# files: the License of the last Files stanza that matches. Their patterns are paths in the
# source tree, which is laid out differently from the package and may hold a photo under another
# extension (GCompris builds .webp from .jpg), so a pattern matches, most specific first:
#   1. the end of the path at a folder boundary, as a glob ('*' matches '/'), or the same with
#      both extensions dropped ("src/activities/x/fish1.jpg" for ".../src/activities/x/fish1.webp");
#   2. a pattern naming one file in a folder layout the path does not share: the same file name
#      (lomiri's "16.04/x.jpg" is installed as usr/share/backgrounds/x.jpg);
#   3. "*": the package's default.
# Other copyright files: the first "License:" line, else "see copyright".
copyright_package="" copyright_patterns=() copyright_licences=() copyright_plain=""

load_copyright() {
  local package=$1 file
  copyright_package=$package copyright_patterns=() copyright_licences=() copyright_plain=""
  file=$cache/root/$package/usr/share/doc/$package/copyright
  if [[ ! -f $file ]]; then
    file=$(find "$cache/root/$package/usr/share/doc" -name copyright -type f 2>/dev/null | sort | head -n 1)
  fi
  if [[ -z $file || ! -f $file ]]; then
    copyright_plain="see copyright"
    return
  fi
  if ! grep -qiE '^Format:.*(copyright-format|dep5)' "$file"; then
    copyright_plain=$(grep -m 1 -iE '^[[:space:]]*licen[cs]e[[:space:]]*:' "$file" | sed -E 's/^[^:]*:[[:space:]]*//; s/[[:space:]]+$//' || true)
    [[ -n $copyright_plain ]] || copyright_plain="see copyright"
    return
  fi
  local line field="" patterns="" licence=""
  flush() {
    if [[ -n ${patterns//[[:space:]]/} ]]; then
      copyright_patterns+=("$patterns")
      copyright_licences+=("${licence:-see copyright}")
    fi
    patterns="" licence="" field=""
  }
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}
    if [[ -z ${line//[[:space:]]/} ]]; then
      flush
      continue
    fi
    if [[ $line == [[:space:]]* ]]; then  # continuation of the previous field
      if [[ $field == files ]]; then patterns+=" $line"; fi
      continue
    fi
    case "${line,,}" in
      files:*) field=files patterns=${line#*:} ;;
      license:*)
        field=license
        if [[ -z $licence ]]; then licence=$(sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//' <<<"${line#*:}"); fi ;;
      *) field=other ;;
    esac
  done <"$file"
  flush
  if ((${#copyright_patterns[@]} == 0)); then copyright_plain="see copyright"; fi
}

# Does any folder named in the first path also appear in the second? If so, both follow the
# same source layout, and a file of the same name elsewhere in it is another file.
shares_a_folder() {
  local folder folders
  IFS=/ read -r -a folders <<<"$1"
  for folder in "${folders[@]}"; do
    [[ -n $folder && /$2/ == */"$folder"/* ]] && return 0
  done
  return 1
}

# licence_for PACKAGE PATH: sets $licence (no subshell, so the parsed file stays loaded).
licence_for() {
  local package=$1 path=$2 i pattern pattern_base specific="" by_name="" fallback="" patterns=()
  [[ $copyright_package == "$package" ]] || load_copyright "$package"
  licence=${copyright_plain:-see copyright}
  [[ -z $copyright_plain ]] || return 0
  local base=${path##*/}
  for i in "${!copyright_patterns[@]}"; do
    read -r -a patterns <<<"${copyright_patterns[$i]}"  # read -a splits without expanding globs
    for pattern in "${patterns[@]}"; do
      pattern_base=${pattern##*/}
      # shellcheck disable=SC2053  # the patterns are globs on purpose
      if [[ $pattern == "*" ]]; then
        fallback=${copyright_licences[$i]}
      elif [[ $path == $pattern || $path == */$pattern ]] ||
           [[ $pattern_base == *.* && ${path%.*} == */${pattern%.*} ]]; then
        specific=${copyright_licences[$i]}
      elif [[ $pattern == */* && $pattern_base != *[*?[]* ]] &&
           [[ $base == "$pattern_base" || ${base%.*} == "${pattern_base%.*}" ]] &&
           ! shares_a_folder "${pattern%/*}" "$path"; then
        by_name=${copyright_licences[$i]}
      fi
    done
  done
  if [[ -n $specific ]]; then licence=$specific
  elif [[ -n $by_name ]]; then licence=$by_name
  elif [[ -n $fallback ]]; then licence=$fallback
  fi
}

# ---- collect the photos --------------------------------------------------------------------
# Per source photo: split, package, version, file on disk, path inside the package. A photo that
# an earlier line already matched (the train list has the categorization line twice) is taken once.
photo_split=() photo_package=() photo_version=() photo_file=() photo_path=()
declare -A photo_listed=()  # package/path -> split
repeated=0
shopt -s nullglob
for package in "${packages[@]}"; do
  download "$package"
  deb=$(cached_deb "$package")
  version=$(dpkg-deb -f "$deb" Version)
  unpack "$package" "$deb"
  package_root=$cache/root/$package
  rm -rf "${cache:?}/rcc/$package"
  found=0 again=0
  for i in "${!globs[@]}"; do
    [[ ${packages_of_line[$i]} == "$package" ]] || continue
    glob=${globs[$i]} split=${splits[$i]}
    matches=() paths=()
    if [[ $glob == *::* ]]; then  # a Qt resource bundle, then a glob inside it
      bundle=${glob%%::*} inner=${glob#*::}
      [[ -f $package_root/$bundle ]] || die "$package: $bundle is not in the package"
      out=$cache/rcc/$package/$(basename "$bundle" .rcc)
      "$rcc_tool" extract "$package_root/$bundle" "$inner" "$out" >/dev/null || die "$package: cannot extract $inner from $bundle"
      for file in "$out"/$inner; do matches+=("$file") paths+=("$bundle::${file#"$out"/}"); done
    else
      for file in "$package_root"/$glob; do matches+=("$file") paths+=("${file#"$package_root"/}"); done
    fi
    ((${#matches[@]})) || die "$package: nothing matches $glob"
    for j in "${!matches[@]}"; do
      listed=${photo_listed[$package/${paths[$j]}]:-}
      if [[ -n $listed ]]; then
        [[ $listed == "$split" ]] || die "$package: ${paths[$j]} is listed for both training and evaluation"
        again=$((again + 1))
        continue
      fi
      photo_listed[$package/${paths[$j]}]=$split
      photo_split+=("$split") photo_package+=("$package") photo_version+=("$version")
      photo_file+=("${matches[$j]}") photo_path+=("${paths[$j]}")
      found=$((found + 1))
    done
  done
  say "$package $version: $found photo$( ((found == 1)) || echo s) ($(du -h "$deb" | cut -f1) .deb)$( ((again == 0)) || echo ", $again more listed twice, taken once")"
  repeated=$((repeated + again))
done
shopt -u nullglob

# ---- names -----------------------------------------------------------------------------------
# data/train/<package>__<stem>, data/eval/<stem>. Where stems collide within a folder (all 8 KDE
# wallpapers are .../<Name>/contents/images/2560x1600.jpg; GCompris has a horse in two
# activities), the first folder below the colliding paths' common prefix goes in front
# ("BytheWater_2560x1600", "erase_horse"), or, if that still collides, the whole path below it
# with '/' and '.' as '_' ("a_jpg" and "a_png" for a.jpg and a.png side by side). Paths inside a
# Qt bundle count from the bundle's root. Should a name still be taken (only contrived paths do
# that: "a_b/c.jpg" against "a/b_c.jpg"), the later photo in list order gets "_2", "_3", ...
# Every photo is listed once (see above), so names are unique and depend on the lists alone.
declare -A group_count=() group_prefix=() short_count=()
photo_group=() photo_stem=() photo_full=() photo_short=() photo_long=()
for i in "${!photo_file[@]}"; do
  if [[ ${photo_split[$i]} == train ]]; then group="train/${photo_package[$i]}"; else group="eval"; fi
  full="${photo_package[$i]}/${photo_path[$i]#*::}"
  base=${full##*/}
  photo_group+=("$group") photo_stem+=("${base%.*}") photo_full+=("$full")
  key="$group/${base%.*}"
  group_count[$key]=$((${group_count[$key]:-0} + 1))
  if [[ -z ${group_prefix[$key]+set} ]]; then
    group_prefix[$key]=${full%/*}/
  else
    prefix=${group_prefix[$key]}
    while [[ -n $prefix && $full != "$prefix"* ]]; do
      prefix=${prefix%/}
      if [[ $prefix == */* ]]; then prefix=${prefix%/*}/; else prefix=""; fi
    done
    group_prefix[$key]=$prefix
  fi
done
for i in "${!photo_file[@]}"; do
  key="${photo_group[$i]}/${photo_stem[$i]}"
  short=${photo_stem[$i]} long=${photo_stem[$i]}
  if ((${group_count[$key]} > 1)); then
    rest=${photo_full[$i]#"${group_prefix[$key]}"}
    long=${rest//\//_}
    long=${long//./_}
    if [[ $rest == */* ]]; then short="${rest%%/*}_${photo_stem[$i]}"; else short=$long; fi
  fi
  photo_short+=("$short") photo_long+=("$long")
  short_count["${photo_group[$i]}/$short"]=$((${short_count["${photo_group[$i]}/$short"]:-0} + 1))
done
photo_name=()
declare -A name_taken=()
for i in "${!photo_file[@]}"; do
  stem=${photo_short[$i]}
  ((${short_count["${photo_group[$i]}/$stem"]} == 1)) || stem=${photo_long[$i]}
  if [[ ${photo_split[$i]} == train ]]; then stem="${photo_package[$i]}__$stem"; fi
  name=$stem n=1
  while [[ -n ${name_taken[${photo_split[$i]}/$name]:-} ]]; do
    n=$((n + 1))
    name=${stem}_$n
  done
  name_taken[${photo_split[$i]}/$name]=1
  photo_name+=("$name")
done

# ---- convert -------------------------------------------------------------------------------
# data/.cache/outputs-for holds the fingerprint that data/train and data/eval were made for: a
# changed list or script starts them afresh; an interrupted run resumes where it stopped
# (tint-to-srgb8 writes atomically, so no half-written photo is ever left behind).
if [[ ! -f $cache/outputs-for || $(cat "$cache/outputs-for") != "$outputs_fingerprint" ]]; then
  rm -rf "$data/train" "$data/eval"
fi
mkdir -p "$data/train" "$data/eval"
echo "$outputs_fingerprint" >"$cache/outputs-for"
find "$data/train" "$data/eval" -maxdepth 1 -name '.*.tmp-*' -delete

declare -A produced=()
photo_output=()
converted=0 kept=0 reused=0
for i in "${!photo_file[@]}"; do
  out_dir=$data/${photo_split[$i]}
  stem=${photo_name[$i]}
  if [[ -s $out_dir/$stem.png ]]; then
    written=$out_dir/$stem.png reused=$((reused + 1))
  elif [[ -s $out_dir/$stem.jpg ]]; then
    written=$out_dir/$stem.jpg reused=$((reused + 1))
  else
    written=$("$convert_tool" --keep-jpeg "${photo_file[$i]}" "$out_dir/$stem.png") ||
      die "${photo_package[$i]}: cannot convert ${photo_path[$i]}"
    if [[ $written == *.jpg ]]; then kept=$((kept + 1)); else converted=$((converted + 1)); fi
  fi
  produced[$written]=1
  photo_output[i]=${written#"$data"/}
  if (((i + 1) % 50 == 0)); then say "converted $((i + 1)) of ${#photo_file[@]}"; fi
done
say "$kept JPEGs kept as they were, $converted converted to PNG, $reused already done"

# Anything else in the output folders is left over from an earlier list: remove it.
while IFS= read -r -d '' file; do
  [[ -n ${produced[$file]:-} ]] || { say "removing stale $file"; rm -f "$file"; }
done < <(find "$data/train" "$data/eval" -maxdepth 1 -type f -print0)

# ---- checks --------------------------------------------------------------------------------
# The evaluation photos must never be trained on: no file may appear in both folders.
overlap=$(cd "$data" && find train eval -maxdepth 1 -type f -print0 | sort -z | xargs -0 -r sha256sum |
  awk '{ split($2, here, "/")
         if (!($1 in first)) first[$1] = $2
         else { split(first[$1], there, "/"); if (there[1] != here[1]) print first[$1] " = " $2 } }')
[[ -z $overlap ]] || die "the same photo is in data/train and data/eval: ${overlap//$'\n'/, }"

# Nor may a near-duplicate of one: the same picture resized or re-encoded. The same check finds
# training photos that repeat another (byte for byte, or at another size: GCompris's
# categorization activity has smaller copies of three explore_monuments photos); of those the
# biggest is kept (the first listed when equal) and the rest are removed, and left out of
# SOURCES.tsv.
declare -A photo_index=() dropped=()
for i in "${!photo_output[@]}"; do photo_index[${photo_output[$i]}]=$i; done
near_report=$(cd "$data" && for i in "${!photo_output[@]}"; do
                printf '%s\t%s\n' "${photo_split[$i]}" "${photo_output[$i]}"
              done | "$near_tool" "$same_distance" "$eval_distance") || die "the near-duplicate check failed"
matches=()
while IFS=$'\t' read -r kind first second third rest; do
  case $kind in
    same)  # first: the photo to drop, second: the one kept, third: the distance
      say "dropping $first: the same picture as $second (distance $third), which is bigger or listed first"
      rm -f "${data:?}/$first"
      dropped[${photo_index[$first]}]=1 ;;
    match) matches+=("$first ~ $second (distance $third)") ;;
    checked)  # first: training photos, second: evaluation photos, third: the closest distance
      near_summary="checked $first training photos against $second evaluation photos: ${#matches[@]} near-duplicate$( ((${#matches[@]} == 1)) || echo s), closest Hamming distance $third of 256 (${rest//$'\t'/ vs }; $eval_distance or less is a match)" ;;
    *) die "the near-duplicate check printed \"$kind $first $second $third $rest\"" ;;
  esac
done <<<"$near_report"
[[ -n ${near_summary:-} ]] || die "the near-duplicate check printed no summary"
say "$near_summary"
((${#matches[@]} == 0)) ||
  die "training photos near-duplicate evaluation photos (remove them from the training list): $(printf '%s, ' "${matches[@]}" | sed 's/, $//')"
say "${#dropped[@]} duplicate training photo$( ((${#dropped[@]} == 1)) || echo s) dropped, $repeated photo$( ((repeated == 1)) || echo s) listed twice taken once"

train_count=$(count_photos "$data/train")
eval_count=$(count_photos "$data/eval")
if ((train_count != expected_train || eval_count != expected_eval)); then
  die "expected $expected_train training and $expected_eval evaluation photos, found $train_count and $eval_count"
fi

# ---- SOURCES.tsv -------------------------------------------------------------------------------
{
  printf 'file\tpackage\tversion\tpath\tlicence\n'
  for i in "${!photo_file[@]}"; do
    [[ -z ${dropped[$i]:-} ]] || continue
    licence_for "${photo_package[$i]}" "${photo_path[$i]#*::}"  # inside a bundle: the source path
    printf '%s\t%s\t%s\t%s\t%s\n' "${photo_output[$i]}" "${photo_package[$i]}" "${photo_version[$i]}" \
      "${photo_path[$i]}" "$licence"
  done
} >"$data/SOURCES.tsv.partial"
mv "$data/SOURCES.tsv.partial" "$data/SOURCES.tsv"

echo "$fingerprint" >"$data/.stamp"
echo "data/train: $train_count photos, data/eval: $eval_count photos"
