// Where a training step's time goes (`tint bench --train --profile`, issue 15): named phases, timed
// on the thread that drives the step while a Profile is active there, each phase's own time only
// (a phase inside another pauses the outer one). Work that a phase splits across threads counts
// as that phase's wall time. Off (one thread-local pointer test per scope) unless asked for.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace tint {

class Profile {
 public:
  // Milliseconds per phase, summed over every scope of that name while this profile was active.
  std::map<std::string, double> milliseconds;

  // Makes `profile` the active one on this thread (nullptr: none); returns the previous one.
  static Profile* activate(Profile* profile) {
    Profile* previous = current();
    current() = profile;
    return previous;
  }
  static Profile*& current() {
    thread_local Profile* active = nullptr;
    return active;
  }

 private:
  friend class ProfileScope;
  using Clock = std::chrono::steady_clock;
  struct Open {
    std::string phase;
    Clock::time_point since;
  };
  std::vector<Open> open_;
};

// Times the phase `prefix + name` from here to the end of the scope; the name is built only while
// a profile is active.
class ProfileScope {
 public:
  explicit ProfileScope(const char* phase, const std::string& name = {}) : profile_(Profile::current()) {
    if (!profile_) return;
    const auto now = Profile::Clock::now();
    if (!profile_->open_.empty()) pause(profile_->open_.back(), now);
    profile_->open_.push_back({phase + name, now});
  }
  ~ProfileScope() {
    if (!profile_) return;
    const auto now = Profile::Clock::now();
    pause(profile_->open_.back(), now);
    profile_->open_.pop_back();
    if (!profile_->open_.empty()) profile_->open_.back().since = now;
  }
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  void pause(Profile::Open& open, Profile::Clock::time_point now) {
    profile_->milliseconds[open.phase] += std::chrono::duration<double, std::milli>(now - open.since).count();
    open.since = now;
  }
  Profile* profile_;
};

}  // namespace tint
