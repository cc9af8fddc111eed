import { describe, expect, it } from 'vitest'
import { cameraProblem, frameName, frameSize, maxFrameSide } from './camera'

describe('camera capture', () => {
  it('says why the camera did not open, and what to do', () => {
    const named = (name: string): Error => Object.assign(new Error('x'), { name })
    expect(cameraProblem(named('NotAllowedError'), true)).toMatch(/^Camera access was refused\. Allow the camera/)
    expect(cameraProblem(named('NotFoundError'), true)).toBe('No camera was found. Connect one, then press Try again.')
    expect(cameraProblem(named('NotReadableError'), true)).toMatch(/another app may be using it/)
    expect(cameraProblem({ name: 'NoMediaDevices' }, true)).toMatch(/no access to cameras/)
    expect(cameraProblem(named('TypeError'), true)).toBe('The camera could not be opened: x. Press Try again.')
    // An http page other than localhost never gets a camera, whatever the error says.
    expect(cameraProblem(named('NotAllowedError'), false)).toMatch(/only on localhost or https/)
  })

  it('names frames so they sort in the order taken, inside the Camera folder', () => {
    const at = new Date(2026, 11, 4, 9, 5, 7)
    expect(frameName(at, 1)).toBe('Camera/capture-20261204-090507-001.jpg')
    expect(frameName(at, 12)).toBe('Camera/capture-20261204-090507-012.jpg')
    expect([frameName(at, 10), frameName(at, 9)].sort()).toEqual([frameName(at, 9), frameName(at, 10)])
  })

  it('keeps small frames as they are and scales large ones down, keeping the aspect', () => {
    expect(frameSize(320, 240)).toEqual({ width: 320, height: 240 })
    expect(frameSize(1920, 1080)).toEqual({ width: maxFrameSide, height: 360 })
    expect(frameSize(720, 1280)).toEqual({ width: 360, height: maxFrameSide })
    expect(frameSize(0, 0)).toEqual({ width: 1, height: 1 })
  })
})
